#include "call.h"

#include "coffer/core/auth/s3_errors.h"

namespace coffer::core::s3 {

base::Status CreateMultipartUpload(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status UploadPart(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status UploadPartCopy(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status CompleteMultipartUpload(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status AbortMultipartUpload(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }
base::Status ListParts(Call&) { return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented); }

}  // namespace coffer::core::s3
