#include "coffer/core/auth/s3_errors.h"

#include "call.h"

namespace coffer::core::s3 {

base::Status GetBucketPolicy(Call&) {
  return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented);
}
base::Status PutBucketPolicy(Call&) {
  return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented);
}
base::Status DeleteBucketPolicy(Call&) {
  return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented);
}
base::Status GetBucketEncryption(Call&) {
  return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented);
}
base::Status PutBucketEncryption(Call&) {
  return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented);
}
base::Status DeleteBucketEncryption(Call&) {
  return auth::MakeS3Error(auth::S3ErrorCode::kNotImplemented);
}

}  // namespace coffer::core::s3
