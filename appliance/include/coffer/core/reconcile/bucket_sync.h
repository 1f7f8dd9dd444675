#pragma once
// After a reconcile pass: makes every bucket the config repo declares exist
// in the object layer, with the versioning it asks for. Versioning cannot be
// turned off once on, so a repo that says false suspends it. Buckets the repo
// no longer names are left alone (they may hold data).

#include "coffer/core/storage/object_layer.h"
#include "coffer/env/log.h"
#include "coffer/state/snapshot.h"

namespace coffer::core::reconcile {

// Errors are logged per bucket; one failing bucket does not stop the rest.
void SyncBuckets(const state::Snapshot& snapshot, storage::ObjectLayer& objects, env::Logger& log);

}  // namespace coffer::core::reconcile
