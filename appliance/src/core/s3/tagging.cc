#include "call.h"

#include "coffer/core/auth/s3_errors.h"

namespace coffer::core::s3 {

base::Status GetObjectTagging(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status PutObjectTagging(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status DeleteObjectTagging(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }

}  // namespace coffer::core::s3
