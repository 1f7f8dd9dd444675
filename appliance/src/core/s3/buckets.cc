#include "call.h"

#include "coffer/core/auth/s3_errors.h"

namespace coffer::core::s3 {

base::Status ListBuckets(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status CreateBucket(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status DeleteBucket(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status HeadBucket(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status GetBucketLocation(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status GetBucketVersioning(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status PutBucketVersioning(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status GetBucketAcl(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }

}  // namespace coffer::core::s3
