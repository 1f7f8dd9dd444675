#pragma once
// Binds the console to the admin API: logins are checked by AdminApi::Login
// and every /console/api/admin/ call is served by AdminApi::ServeAs as the
// logged-in caller, which re-checks the credential on each call (a disabled
// user or a revoked session is out at once). The caller, with the secret the
// re-check needs, stays in server memory; the browser only holds the session
// cookie.

#include <memory>

#include "coffer/core/admin/admin_api.h"
#include "coffer/core/console/console.h"

namespace coffer::core::console {

// `api` is borrowed and must outlive the backend. Thread-safe.
std::unique_ptr<Backend> NewAdminBackend(admin::AdminApi& api);

// A principal for an already-checked admin caller (the OIDC login's STS
// session, for instance).
std::shared_ptr<const Principal> NewAdminPrincipal(admin::ConsoleCaller caller);

}  // namespace coffer::core::console
