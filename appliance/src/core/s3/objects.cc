#include "call.h"

#include "coffer/core/auth/s3_errors.h"

namespace coffer::core::s3 {

base::Status PutObject(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status GetObject(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status HeadObject(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status DeleteObject(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status DeleteObjects(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status CopyObject(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status GetObjectAcl(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }

}  // namespace coffer::core::s3
