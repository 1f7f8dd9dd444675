#include "call.h"

#include "coffer/core/auth/s3_errors.h"

namespace coffer::core::s3 {

base::Status ListObjects(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status ListObjectsV2(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status ListObjectVersions(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status ListMultipartUploads(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }

}  // namespace coffer::core::s3
