// Bucket settings through the S3 API: the bucket policy and the default
// encryption. The config repo owns the buckets it declares; on those, the S3
// calls that would change a setting are refused (AccessDenied naming the
// owning revision) and the reads show what the repo says. On other buckets the
// settings are runtime-owned rows of the IAM store (RuntimeState).

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "coffer/core/auth/s3_errors.h"
#include "coffer/policy/compile.h"
#include "coffer/state/snapshot.h"

#include "call.h"
#include "xml.h"

namespace coffer::core::s3 {
namespace {

using auth::MakeS3Error;
using auth::S3ErrorCode;

// AWS caps bucket policies at 20 KB.
constexpr std::size_t kMaxPolicyBytes = 20 * 1024;

base::Status RequireBucket(Call& call) {
  auto info = call.objects.GetBucketInfo(call.bucket());
  if (!info.has_value()) return ToS3Error(info.error());
  return base::Ok();
}

// AccessDenied for a change to a bucket the config repo declares.
base::Status RefuseRepoOwned(Call& call, std::string_view what) {
  if (call.RepoBucket(call.bucket()) == nullptr) return base::Ok();
  return MakeS3Error(S3ErrorCode::kAccessDenied, "The " + std::string(what) + " of bucket " +
                                                     call.bucket() +
                                                     " is managed by the config repo (revision " +
                                                     call.snapshot->revision().ToString() +
                                                     "); change it there, not through the S3 API.");
}

base::Status SetOrExplain(Call& call, base::Status status) {
  if (status.has_value()) return status;
  if (status.error().code() == base::ErrorCode::kFailedPrecondition) {
    return MakeS3Error(S3ErrorCode::kAccessDenied,
                       "Bucket " + call.bucket() + " is managed by the config repo.");
  }
  return status;
}

// Every Resource of every statement must name this bucket or objects in it,
// as AWS requires of a bucket policy.
bool ResourcesNameBucket(const nlohmann::json& doc, std::string_view bucket) {
  const std::string arn = "arn:aws:s3:::" + std::string(bucket);
  auto ok = [&](const nlohmann::json& r) {
    if (!r.is_string()) return false;
    const std::string& s = r.get_ref<const std::string&>();
    return s == arn || s.starts_with(arn + "/");
  };
  const auto statements = doc.find("Statement");
  if (statements == doc.end()) return false;
  auto check = [&](const nlohmann::json& st) {
    for (const char* field : {"Resource", "NotResource"}) {
      const auto it = st.find(field);
      if (it == st.end()) continue;
      if (it->is_array()) {
        for (const auto& r : *it) {
          if (!ok(r)) return false;
        }
      } else if (!ok(*it)) {
        return false;
      }
    }
    return true;
  };
  if (statements->is_array()) {
    for (const auto& st : *statements) {
      if (!st.is_object() || !check(st)) return false;
    }
    return true;
  }
  return statements->is_object() && check(*statements);
}

}  // namespace

base::Status GetBucketPolicy(Call& call) {
  COFFER_RETURN_IF_ERROR(RequireBucket(call));
  const state::BucketEntry* entry = call.BucketSettings(call.bucket());
  if (entry == nullptr || entry->policy.empty()) {
    return MakeS3Error(S3ErrorCode::kNoSuchBucketPolicy);
  }
  COFFER_RETURN_IF_ERROR(call.response.Start(
      200, call.ResponseHeaders({{"content-type", "application/json"}}), entry->policy.size()));
  COFFER_RETURN_IF_ERROR(
      call.response.Write(std::as_bytes(std::span(entry->policy.data(), entry->policy.size()))));
  return call.response.Finish();
}

base::Status PutBucketPolicy(Call& call) {
  COFFER_RETURN_IF_ERROR(RequireBucket(call));
  COFFER_RETURN_IF_ERROR(RefuseRepoOwned(call, "policy"));
  base::Result<std::string> body =
      ReadSmallBody(call.crypto, call.env.random().LibCtx(), call.http, call.auth, call.body,
                    kMaxPolicyBytes, /*required=*/true);
  if (!body.has_value()) {
    if (auth::S3ErrorCodeOf(body.error()) == S3ErrorCode::kEntityTooLarge) {
      return MakeS3Error(S3ErrorCode::kMalformedPolicy,
                         "Policy exceeds the maximum allowed document size.");
    }
    return body.error();
  }
  auto compiled =
      policy::CompileText(*body, "bucket:" + call.bucket(), policy::PolicyKind::kBucket);
  if (!compiled.has_value()) {
    // The client's own document: its line:col diagnostic helps and reveals
    // nothing it did not send.
    return MakeS3Error(S3ErrorCode::kMalformedPolicy, compiled.error().message());
  }
  const auto doc = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !ResourcesNameBucket(doc, call.bucket())) {
    return MakeS3Error(S3ErrorCode::kMalformedPolicy, "Policy has invalid resource.");
  }
  COFFER_RETURN_IF_ERROR(SetOrExplain(call, call.runtime.SetBucketPolicy(call.bucket(), *body)));
  return call.SendEmpty(204);
}

base::Status DeleteBucketPolicy(Call& call) {
  COFFER_RETURN_IF_ERROR(RequireBucket(call));
  COFFER_RETURN_IF_ERROR(RefuseRepoOwned(call, "policy"));
  COFFER_RETURN_IF_ERROR(SetOrExplain(call, call.runtime.SetBucketPolicy(call.bucket(), "")));
  return call.SendEmpty(204);
}

base::Status GetBucketEncryption(Call& call) {
  COFFER_RETURN_IF_ERROR(RequireBucket(call));
  const state::BucketEntry* entry = call.BucketSettings(call.bucket());
  if (entry == nullptr || entry->encryption == state::Encryption::kNone) {
    return MakeS3Error(S3ErrorCode::kServerSideEncryptionConfigurationNotFoundError);
  }
  XmlWriter xml("ServerSideEncryptionConfiguration");
  xml.Open("Rule").Open("ApplyServerSideEncryptionByDefault");
  if (entry->encryption == state::Encryption::kSseKms) {
    xml.Element("SSEAlgorithm", "aws:kms").Element("KMSMasterKeyID", entry->kms_key);
  } else {
    xml.Element("SSEAlgorithm", "AES256");
  }
  xml.Close("ApplyServerSideEncryptionByDefault").Close("Rule");
  return call.SendXml(200, std::move(xml).Finish());
}

base::Status PutBucketEncryption(Call& call) {
  COFFER_RETURN_IF_ERROR(RequireBucket(call));
  COFFER_RETURN_IF_ERROR(RefuseRepoOwned(call, "default encryption"));
  COFFER_ASSIGN_OR_RETURN(std::string body, call.ReadXmlBody());
  COFFER_ASSIGN_OR_RETURN(auto doc, ParseXml(body));
  const pugi::xml_node rule = doc->child("ServerSideEncryptionConfiguration").child("Rule");
  const pugi::xml_node by_default = rule.child("ApplyServerSideEncryptionByDefault");
  if (rule.empty() || by_default.empty() || !rule.next_sibling("Rule").empty()) {
    return MakeS3Error(S3ErrorCode::kMalformedXml);
  }
  const std::string algorithm = by_default.child_value("SSEAlgorithm");
  const std::string key = by_default.child_value("KMSMasterKeyID");
  std::string encryption;
  if (algorithm == "AES256" && key.empty()) {
    encryption = "sse-s3";
  } else if (algorithm == "aws:kms") {
    if (key.empty()) {
      return MakeS3Error(S3ErrorCode::kInvalidArgument,
                         "SSE-KMS needs a KMSMasterKeyID naming a key of the key service.");
    }
    encryption = "sse-kms";
  } else {
    return MakeS3Error(S3ErrorCode::kMalformedXml,
                       "SSEAlgorithm must be AES256 or aws:kms (with KMSMasterKeyID).");
  }
  COFFER_RETURN_IF_ERROR(
      SetOrExplain(call, call.runtime.SetBucketEncryption(call.bucket(), encryption, key)));
  return call.SendEmpty(200);
}

base::Status DeleteBucketEncryption(Call& call) {
  COFFER_RETURN_IF_ERROR(RequireBucket(call));
  COFFER_RETURN_IF_ERROR(RefuseRepoOwned(call, "default encryption"));
  COFFER_RETURN_IF_ERROR(
      SetOrExplain(call, call.runtime.SetBucketEncryption(call.bucket(), "none", "")));
  return call.SendEmpty(204);
}

}  // namespace coffer::core::s3
