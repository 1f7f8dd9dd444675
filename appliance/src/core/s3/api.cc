#include "coffer/core/s3/api.h"

#include <array>

#include "coffer/base/planted.h"
#include "coffer/base/random.h"
#include "coffer/core/auth/s3_errors.h"
#include "coffer/core/auth/signing_key_cache.h"
#include "coffer/core/sts/session_token.h"
#include "coffer/env/log.h"
#include "coffer/state/snapshot.h"

#include "authorize.h"
#include "call.h"
#include "xml.h"

namespace coffer::core::s3 {

using auth::MakeS3Error;
using auth::S3ErrorCode;

namespace {

using HandlerFn = base::Status (*)(Call&);

// INVARIANT: in Op order (checked at startup against operations.h).
constexpr std::array<std::pair<Op, HandlerFn>, 34> kHandlers = {{
    {Op::kListBuckets, ListBuckets},
    {Op::kCreateBucket, CreateBucket},
    {Op::kDeleteBucket, DeleteBucket},
    {Op::kHeadBucket, HeadBucket},
    {Op::kGetBucketLocation, GetBucketLocation},
    {Op::kGetBucketVersioning, GetBucketVersioning},
    {Op::kPutBucketVersioning, PutBucketVersioning},
    {Op::kGetBucketPolicy, GetBucketPolicy},
    {Op::kPutBucketPolicy, PutBucketPolicy},
    {Op::kDeleteBucketPolicy, DeleteBucketPolicy},
    {Op::kGetBucketEncryption, GetBucketEncryption},
    {Op::kPutBucketEncryption, PutBucketEncryption},
    {Op::kDeleteBucketEncryption, DeleteBucketEncryption},
    {Op::kGetBucketAcl, GetBucketAcl},
    {Op::kListObjects, ListObjects},
    {Op::kListObjectsV2, ListObjectsV2},
    {Op::kListObjectVersions, ListObjectVersions},
    {Op::kListMultipartUploads, ListMultipartUploads},
    {Op::kDeleteObjects, DeleteObjects},
    {Op::kPutObject, PutObject},
    {Op::kCopyObject, CopyObject},
    {Op::kGetObject, GetObject},
    {Op::kHeadObject, HeadObject},
    {Op::kDeleteObject, DeleteObject},
    {Op::kGetObjectAcl, GetObjectAcl},
    {Op::kGetObjectTagging, GetObjectTagging},
    {Op::kPutObjectTagging, PutObjectTagging},
    {Op::kDeleteObjectTagging, DeleteObjectTagging},
    {Op::kCreateMultipartUpload, CreateMultipartUpload},
    {Op::kUploadPart, UploadPart},
    {Op::kUploadPartCopy, UploadPartCopy},
    {Op::kCompleteMultipartUpload, CompleteMultipartUpload},
    {Op::kAbortMultipartUpload, AbortMultipartUpload},
    {Op::kListParts, ListParts},
}};

constexpr bool HandlersInOrder() {
  for (std::size_t i = 0; i < kHandlers.size(); ++i) {
    if (static_cast<std::size_t>(kHandlers[i].first) != i) {
      return false;
    }
  }
  return true;
}
static_assert(HandlersInOrder(), "kHandlers must follow Op order");

}  // namespace

struct S3Api::Impl {
  env::Env& env;
  storage::ObjectLayer& objects;
  SnapshotSource snapshots;
  RuntimeState& runtime;
  RootCredential root;
  S3ApiOptions options;
  std::unique_ptr<auth::Crypto> crypto;
  auth::SigningKeyCache signing_keys;
  std::unique_ptr<auth::Verifier> verifier;
  // Server-side encryption's package crypto (sse/engine.h).
  std::unique_ptr<sse::Engine> sse_engine;
  std::string host_id;  // x-amz-id-2: names this node, not the request.

  Impl(env::Env& e, storage::ObjectLayer& o, SnapshotSource s, RuntimeState& rt, RootCredential r,
       S3ApiOptions opt)
      : env(e),
        objects(o),
        snapshots(std::move(s)),
        runtime(rt),
        root(std::move(r)),
        options(std::move(opt)) {}

  void Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response);
  base::Status Run(const HttpRequest& request, const S3Request& s3,
                   const std::shared_ptr<const state::Snapshot>& snapshot, BodyReader& body,
                   ResponseWriter& response);
  void SendError(const HttpRequest& request, std::string_view resource, const base::Error& error,
                 ResponseWriter& response);
};

base::Result<std::unique_ptr<S3Api>> S3Api::Create(env::Env& env, storage::ObjectLayer& objects,
                                                   SnapshotSource snapshots, RuntimeState& runtime,
                                                   RootCredential root, S3ApiOptions options) {
  auto impl = std::make_unique<Impl>(env, objects, std::move(snapshots), runtime, std::move(root),
                                     std::move(options));
  COFFER_ASSIGN_OR_RETURN(impl->crypto, auth::Crypto::Create(env.random().LibCtx()));
  COFFER_ASSIGN_OR_RETURN(impl->sse_engine, sse::Engine::Create(env.random().LibCtx()));
  auth::VerifierOptions verifier_options;
  verifier_options.region = impl->options.region;
  verifier_options.allow_sigv2 = impl->options.allow_sigv2;
  impl->verifier =
      std::make_unique<auth::Verifier>(*impl->crypto, impl->signing_keys, verifier_options);
  std::array<std::byte, 16> id{};
  env.random().Fill(id);
  impl->host_id = impl->crypto->Sha256Hex(
      std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
  return std::unique_ptr<S3Api>(new S3Api(std::move(impl)));
}

S3Api::S3Api(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
S3Api::~S3Api() = default;

void S3Api::Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) {
  impl_->Serve(request, body, response);
}

void S3Api::Impl::SendError(const HttpRequest& request, std::string_view resource,
                            const base::Error& error, ResponseWriter& response) {
  const auth::S3ErrorReply reply = auth::ToS3ErrorReply(ToS3Error(error));
  if (request.facts != nullptr) request.facts->error_code = std::string(reply.info->name);
  if (reply.info->code == S3ErrorCode::kInternalError) {
    env.log().Error("s3", "internal error",
                    {{"request_id", request.request_id}, {"error", error.message()}});
  }
  XmlWriter xml("Error", /*with_namespace=*/false);
  xml.Element("Code", reply.info->name)
      .Element("Message", reply.message)
      .Element("Resource", resource)
      .Element("RequestId", request.request_id)
      .Element("HostId", host_id);
  const std::string doc = std::move(xml).Finish();
  HeaderList headers = {{"x-amz-request-id", request.request_id},
                        {"x-amz-id-2", host_id},
                        {"server", "Coffer"},
                        {"content-type", "application/xml"}};
  if (reply.info->code == S3ErrorCode::kSlowDown ||
      reply.info->code == S3ErrorCode::kServiceUnavailable) {
    headers.emplace_back("retry-after", "1");
  }
  const bool has_body = reply.info->http_status != 304;
  if (!response.Start(reply.info->http_status, headers, has_body ? doc.size() : 0).has_value()) {
    return;
  }
  if (has_body) {
    (void)response.Write(std::as_bytes(std::span(doc.data(), doc.size())));
  }
  (void)response.Finish();
}

void S3Api::Impl::Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) {
  base::Result<S3Request> s3 = ParseS3Request(request, options.domains);
  if (!s3.has_value()) {
    SendError(request, request.target.substr(0, request.target.find('?')), s3.error(), response);
    return;
  }
  if (request.facts != nullptr) {
    request.facts->bucket = s3->bucket;
    request.facts->object = s3->key;
  }
  const std::shared_ptr<const state::Snapshot> snapshot = snapshots ? snapshots() : nullptr;
  base::Status status = Run(request, *s3, snapshot, body, response);
  if (!status.has_value() && !response.started()) {
    SendError(request, s3->path, status.error(), response);
  }
}

base::Status S3Api::Impl::Run(const HttpRequest& request, const S3Request& s3,
                              const std::shared_ptr<const state::Snapshot>& snapshot,
                              BodyReader& body, ResponseWriter& response) {
  const base::WallTime now = env.clock().Now();
  std::string_view token = request.Header("x-amz-security-token");
  if (token.empty()) token = s3.Query("X-Amz-Security-Token").value_or("");
  std::optional<sts::SessionClaims> session;
  auto lookup = [&](std::string_view access_key) {
    sts::SessionClaims claims;
    SessionContext context{options.session_tokens.get(), token, &claims};
    base::Result<auth::Credential> credential =
        LookupCredential(snapshot.get(), root, access_key, now, context);
    if (credential.has_value() && !claims.access_key.empty()) session = std::move(claims);
    return credential;
  };
  COFFER_ASSIGN_OR_RETURN(const auth::Authentication authn, verifier->Verify(request, lookup, now));
  if (session.has_value() && request.facts != nullptr) {
    request.facts->parent_user =
        session->parent_kind == sts::ParentKind::kRoot ? std::string("root") : session->parent;
  }
  if (request.facts != nullptr) request.facts->access_key = authn.access_key;
  COFFER_ASSIGN_OR_RETURN(const Op op, Classify(request, s3));
  const OpSpec& spec = SpecOf(op);
  if (request.facts != nullptr) request.facts->api = std::string(spec.name);
  const bool is_root = authn.kind != auth::AuthKind::kAnonymous && !root.access_key.empty() &&
                       authn.access_key == root.access_key;
  Authorizer authorizer(snapshot.get(), authn, is_root, request, s3, now, options.trusted_proxies,
                        session.has_value() ? &*session : nullptr);
  if (op == Op::kListObjects || op == Op::kListObjectsV2 || op == Op::kListObjectVersions) {
    authorizer.context().Add("s3:prefix", s3.Query("prefix").value_or(""));
    if (auto d = s3.Query("delimiter")) authorizer.context().Add("s3:delimiter", *d);
    authorizer.context().Add("s3:max-keys", s3.Query("max-keys").value_or("1000"));
  }

  if (request.facts != nullptr && authorizer.type() == PrincipalType::kServiceAccount) {
    request.facts->parent_user = authorizer.user();  // A service account acts as its parent.
  }
  Call call{env,   objects,        options,    *crypto, request, s3,       spec,
            authn, snapshot.get(), authorizer, runtime, body,    response, *sse_engine};
  const bool versioned = s3.Has("versionId") && !spec.version_action.empty();
  const std::string_view action = versioned ? spec.version_action : spec.action;
  // The table's action; Call::Authorize logs a denial with its deciding
  // statement. DeleteObjects is checked per key by its handler.
  base::Status allowed = base::Ok();
  switch (spec.resource) {
    case ResourceKind::kAll:
      allowed = call.Authorize(action, "", "");
      break;
    case ResourceKind::kBucket:
      allowed = call.Authorize(action, s3.bucket, "");
      break;
    case ResourceKind::kObject:
      allowed = call.Authorize(action, s3.bucket, s3.key);
      break;
    case ResourceKind::kPerKey:
      break;
  }
  if (!allowed.has_value()) {
    // ListBuckets without s3:ListAllMyBuckets still lists what the principal
    // may list (the handler filters per bucket); anonymous requests never
    // list buckets, as S3.
    if (op != Op::kListBuckets || authorizer.type() == PrincipalType::kAnonymous) return allowed;
  }
  return kHandlers[static_cast<std::size_t>(op)].second(call);
}

namespace {

// SECURITY: an STS session key is accepted only with a token that this
// appliance sealed for exactly that key, before its expiry, while its parent
// can still act; the snapshot row (when this node has one) says whether the
// session was revoked. The token itself is never logged or echoed.
base::Result<auth::Credential> LookupSession(const state::Snapshot* snapshot,
                                             const state::Credential* row,
                                             const RootCredential& root,
                                             std::string_view access_key, base::WallTime now,
                                             const SessionContext& session) {
  if (row == nullptr && session.token.empty()) return base::NotFound("unknown access key");
  if (session.codec == nullptr) {
    return MakeS3Error(S3ErrorCode::kInvalidToken, "Session credentials are not accepted.");
  }
  if (session.token.empty()) {
    // The verifier answers MissingSecurityHeader for a credential that needs
    // a token the request lacks; this value never equals a sent token.
    return auth::Credential{row->secret_key, row->principal, base::Secret(std::string(1, '\0'))};
  }
  base::Result<sts::SessionClaims> opened = session.codec->Open(session.token);
  if (!opened.has_value() || opened->access_key != access_key) {
    return MakeS3Error(S3ErrorCode::kInvalidToken);
  }
  sts::SessionClaims& claims = *opened;
  if (claims.expires_at <= now && !base::Planted(base::PlantedBug::kSkipSessionExpiry)) {
    return MakeS3Error(S3ErrorCode::kExpiredToken);
  }
  if (row != nullptr && row->session_token_digest == state::kRevokedSessionDigest) {
    return MakeS3Error(S3ErrorCode::kInvalidToken, "The session was revoked.");
  }
  switch (claims.parent_kind) {
    case sts::ParentKind::kRoot:
      if (root.access_key.empty() || claims.parent != root.access_key) {
        return MakeS3Error(S3ErrorCode::kInvalidToken, "The session's parent no longer exists.");
      }
      break;
    case sts::ParentKind::kUser: {
      const state::Principal* parent =
          snapshot != nullptr ? snapshot->FindPrincipal(claims.parent) : nullptr;
      if (parent == nullptr || !parent->enabled) {
        return MakeS3Error(S3ErrorCode::kAccessDenied,
                           "The session's parent user is disabled or deleted.");
      }
      break;
    }
    case sts::ParentKind::kFederated:
      break;  // Its policies are checked against the snapshot when authorizing.
  }
  auth::Credential credential{claims.secret_key, claims.parent,
                              base::Secret(std::string(session.token))};
  if (session.claims != nullptr) *session.claims = std::move(claims);
  return credential;
}

}  // namespace

base::Result<auth::Credential> LookupCredential(const state::Snapshot* snapshot,
                                                const RootCredential& root,
                                                std::string_view access_key, base::WallTime now,
                                                const SessionContext& session) {
  if (!root.access_key.empty() && access_key == root.access_key) {
    return auth::Credential{root.secret_key, "root", std::nullopt};
  }
  const state::Credential* c = snapshot != nullptr ? snapshot->FindCredential(access_key) : nullptr;
  if (c == nullptr || c->kind == state::CredentialKind::kStsSession) {
    // Unknown here may still be a session another node minted: its token
    // carries it.
    return LookupSession(snapshot, c, root, access_key, now, session);
  }
  if (c->expires_at.has_value() && *c->expires_at <= now) {
    return MakeS3Error(S3ErrorCode::kExpiredToken);
  }
  return auth::Credential{c->secret_key, c->principal, std::nullopt};
}

// --- Call ---

base::Status Call::Authorize(std::string_view action, std::string_view bucket_name,
                             std::string_view key_name) const {
  base::Status status = authorizer.Check(action, bucket_name, key_name);
  if (!status.has_value() && http.facts != nullptr) {
    // The deciding statements ("explicit deny: policy/Sid", or "implicit
    // deny" when nothing allowed) go to the audit entry, never to the client.
    const std::string& denial = authorizer.last_denial();
    const auto reason = denial.rfind(": ");
    http.facts->deny_policy = reason == std::string::npos ? denial : denial.substr(reason + 2);
    http.facts->deny_statement = denial;
  }
  if (!status.has_value()) {
    env.log().Debug("s3", "access denied",
                    {{"request_id", http.request_id},
                     {"api", op.name},
                     {"principal", authorizer.user()},
                     {"decision", authorizer.last_denial()}});
  }
  return status;
}

bool Call::Allowed(std::string_view action, std::string_view bucket_name,
                   std::string_view key_name) const {
  return authorizer.Decide(action, bucket_name, key_name).allowed;
}

const state::BucketEntry* Call::RepoBucket(std::string_view bucket_name) const {
  const state::BucketEntry* entry = BucketSettings(bucket_name);
  return entry != nullptr && entry->repo_owned ? entry : nullptr;
}

const state::BucketEntry* Call::BucketSettings(std::string_view bucket_name) const {
  return snapshot != nullptr ? snapshot->FindBucket(bucket_name) : nullptr;
}

base::Result<std::unique_ptr<SignedBody>> Call::OpenBody(std::uint64_t max_bytes) const {
  return SignedBody::Open(crypto, env.random().LibCtx(), http, auth, body, max_bytes);
}

base::Result<std::string> Call::ReadXmlBody() const {
  return ReadSmallBody(crypto, env.random().LibCtx(), http, auth, body, options.max_xml_body_bytes,
                       /*required=*/true);
}

HeaderList Call::ResponseHeaders(HeaderList extra) const {
  HeaderList headers;
  headers.reserve(extra.size() + 3);
  headers.emplace_back("x-amz-request-id", http.request_id);
  headers.emplace_back("server", "Coffer");
  for (auto& h : extra) headers.push_back(std::move(h));
  return headers;
}

base::Status Call::SendXml(unsigned status, std::string_view doc, HeaderList extra) const {
  extra.emplace_back("content-type", "application/xml");
  COFFER_RETURN_IF_ERROR(response.Start(status, ResponseHeaders(std::move(extra)), doc.size()));
  COFFER_RETURN_IF_ERROR(response.Write(std::as_bytes(std::span(doc.data(), doc.size()))));
  return response.Finish();
}

base::Status Call::SendEmpty(unsigned status, HeaderList extra) const {
  COFFER_RETURN_IF_ERROR(response.Start(status, ResponseHeaders(std::move(extra)), 0));
  return response.Finish();
}

// --- Errors ---

base::Error ToS3Error(const base::Error& error) {
  if (auth::S3ErrorCodeOf(error).has_value()) return error;
  const std::string_view message = error.message();
  auto starts = [&](std::string_view p) { return message.starts_with(p); };
  switch (error.code()) {
    case base::ErrorCode::kNotFound:
      if (starts("no such bucket")) return MakeS3Error(S3ErrorCode::kNoSuchBucket);
      if (starts("no such upload")) return MakeS3Error(S3ErrorCode::kNoSuchUpload);
      if (starts("no such version")) return MakeS3Error(S3ErrorCode::kNoSuchVersion);
      return MakeS3Error(S3ErrorCode::kNoSuchKey);
    case base::ErrorCode::kAlreadyExists:
      return MakeS3Error(S3ErrorCode::kBucketAlreadyOwnedByYou);
    case base::ErrorCode::kFailedPrecondition:
      if (starts("InvalidPart")) return MakeS3Error(S3ErrorCode::kInvalidPart);
      if (starts("bucket")) return MakeS3Error(S3ErrorCode::kBucketNotEmpty);
      return MakeS3Error(S3ErrorCode::kPreconditionFailed);
    case base::ErrorCode::kInvalidArgument:
      if (starts("InvalidPartOrder")) return MakeS3Error(S3ErrorCode::kInvalidPartOrder);
      if (starts("EntityTooSmall")) return MakeS3Error(S3ErrorCode::kEntityTooSmall);
      if (starts("EntityTooLarge")) return MakeS3Error(S3ErrorCode::kEntityTooLarge);
      if (starts("bucket name")) return MakeS3Error(S3ErrorCode::kInvalidBucketName);
      if (starts("body has")) return MakeS3Error(S3ErrorCode::kIncompleteBody);
      if (starts("part number")) {
        return MakeS3Error(S3ErrorCode::kInvalidArgument,
                           "Part number must be an integer between 1 and 10000, inclusive.");
      }
      if (starts("object key")) return MakeS3Error(S3ErrorCode::kKeyTooLongError);
      return MakeS3Error(S3ErrorCode::kInvalidArgument);
    case base::ErrorCode::kOutOfRange:
      return MakeS3Error(S3ErrorCode::kInvalidRange);
    case base::ErrorCode::kUnavailable:
      return MakeS3Error(S3ErrorCode::kSlowDown);
    case base::ErrorCode::kResourceExhausted:
      return MakeS3Error(S3ErrorCode::kInsufficientStorage);
    case base::ErrorCode::kDeadlineExceeded:
      return MakeS3Error(S3ErrorCode::kRequestTimeout);
    default:
      return MakeS3Error(S3ErrorCode::kInternalError);
  }
}

}  // namespace coffer::core::s3
