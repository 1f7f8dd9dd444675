// Server-side encryption through the whole S3 request core (sse_request.h,
// sse_object.h and the object, multipart and bucket handlers): SSE-S3,
// SSE-KMS and SSE-C on PUT, GET (ranges, part numbers), HEAD, CopyObject,
// multipart uploads, versions and bucket defaults, with S3's headers, ETags
// and errors; a key service that is down; and no plaintext on the drives.

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "coffer/core/auth/crypto.h"
#include "coffer/core/storage/md5.h"
#include "coffer/env/key_service.h"

#include "harness.h"

namespace coffer::core::s3 {
namespace {

using testing::Response;
using testing::S3Harness;
using testing::SendOptions;

// A key service in memory: data keys are counters' worth of bytes, their
// "ciphertexts" name an entry the service remembers with its context, so a
// wrong context or key name fails as the real one does. `down` makes every
// call kUnavailable.
class FakeKeyService final : public env::KeyService {
 public:
  base::Status CreateKey(std::string_view name) override {
    std::lock_guard lock(mu_);
    if (down) return base::Unavailable("key service down");
    if (!keys_.insert(std::string(name)).second) return base::AlreadyExists("key exists");
    return base::Ok();
  }
  base::Status DeleteKey(std::string_view name) override {
    std::lock_guard lock(mu_);
    keys_.erase(std::string(name));
    return base::Ok();
  }
  base::Result<std::vector<env::KeyInfo>> ListKeys(std::string_view) override {
    std::lock_guard lock(mu_);
    std::vector<env::KeyInfo> out;
    for (const auto& k : keys_) out.push_back({k, 1});
    return out;
  }
  base::Result<env::DataKey> GenerateKey(std::string_view name, std::string_view context) override {
    std::lock_guard lock(mu_);
    if (down) return base::Unavailable("key service down");
    if (!keys_.contains(std::string(name))) return base::NotFound("no such key");
    std::string key(32, '\0');
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<char>(counter_ * 31 + i);
    const std::string ciphertext = "fake-ct-" + std::to_string(counter_++);
    sealed_[ciphertext] = {std::string(name), std::string(context), key};
    contexts.emplace_back(context);
    data_keys.push_back(key);
    return env::DataKey{base::Secret(key), ciphertext};
  }
  base::Result<base::Secret> Decrypt(std::string_view name, std::string_view ciphertext,
                                     std::string_view context) override {
    std::lock_guard lock(mu_);
    if (down) return base::Unavailable("key service down");
    const auto it = sealed_.find(std::string(ciphertext));
    if (it == sealed_.end() || it->second.name != name || it->second.context != context) {
      return base::DataLoss("ciphertext does not open");
    }
    return base::Secret(it->second.key);
  }
  base::Result<std::string> Encrypt(std::string_view, std::string_view, std::string_view) override {
    return base::Unimplemented("not in the fake");
  }
  base::Result<env::KeyInfo> RotateKey(std::string_view name) override {
    return env::KeyInfo{std::string(name), 2};
  }
  base::Result<std::string> Rewrap(std::string_view, std::string_view ciphertext,
                                   std::string_view) override {
    return std::string(ciphertext);
  }
  base::Result<env::KeyServiceStatus> Status() override {
    return env::KeyServiceStatus{"in-process", "fake", !down};
  }

  bool down = false;
  std::vector<std::string> contexts;   // Every GenerateKey context, in order.
  std::vector<std::string> data_keys;  // Every data key handed out.

 private:
  struct Sealed {
    std::string name;
    std::string context;
    std::string key;
  };
  std::mutex mu_;
  std::set<std::string> keys_;
  std::map<std::string, Sealed> sealed_;
  int counter_ = 1;
};

std::string Pattern(std::size_t n, unsigned seed = 1) {
  std::string out(n, '\0');
  std::uint32_t x = seed * 2654435761u;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

constexpr std::uint64_t kMinPart = 1024;

class SseTest : public ::testing::Test {
 protected:
  SseTest() : h_(Options(kms_)) {}

  static S3ApiOptions Options(FakeKeyService& kms) {
    S3ApiOptions options;
    options.key_service = &kms;
    options.min_part_size_bytes = kMinPart;
    (void)kms.CreateKey("coffer-sse-s3");
    (void)kms.CreateKey("app-key");
    return options;
  }

  void SetUp() override { h_.MakeBucket("bkt"); }

  std::string Md5Hex(std::string_view data) {
    storage::Md5 md5(h_.env().LibCtx());
    md5.Update(std::as_bytes(std::span(data.data(), data.size())));
    return auth::HexEncode(md5.FinishRaw());
  }

  // SSE-C headers (with `prefix` "x-amz-" or "x-amz-copy-source-") for key
  // bytes all equal to `fill`.
  HeaderList CustomerHeaders(char fill, std::string_view prefix = "x-amz-") {
    const std::string key(32, fill);
    storage::Md5 md5(h_.env().LibCtx());
    md5.Update(std::as_bytes(std::span(key.data(), key.size())));
    const std::string p = std::string(prefix) + "server-side-encryption-customer-";
    return {{p + "algorithm", "AES256"},
            {p + "key", auth::Base64Encode(key)},
            {p + "key-md5", auth::Base64Encode(md5.FinishRaw())}};
  }

  static HeaderList Join(HeaderList a, const HeaderList& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }

  Response Tls(std::string_view method, std::string_view target, HeaderList headers = {},
               std::string body = "") {
    SendOptions options;
    options.secure = true;
    return h_.Send(method, target, std::move(headers), std::move(body), options);
  }

  // True when `needle` occurs in any file of any of the harness's drives.
  bool OnAnyDrive(std::string_view needle) {
    for (int i = 0; i < 4; ++i) {
      for (const auto& [path, bytes] : h_.env().Disk("d" + std::to_string(i))->files) {
        if (bytes.find(needle) != std::string::npos) return true;
      }
    }
    return false;
  }

  std::string Create(std::string_view key, HeaderList headers) {
    Response r = Tls("POST", "/bkt/" + std::string(key) + "?uploads", std::move(headers));
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.XmlText("UploadId");
  }

  FakeKeyService kms_;
  S3Harness h_;
};

TEST_F(SseTest, SseS3PutGetHeadEchoAndEtagIsPlaintextMd5) {
  const std::string data = Pattern(200 * 1024);
  Response put = h_.Put("/bkt/obj", data, {{"x-amz-server-side-encryption", "AES256"}});
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(put.Header("x-amz-server-side-encryption"), "AES256");
  EXPECT_EQ(put.Header("etag"), "\"" + Md5Hex(data) + "\"");

  Response get = h_.Get("/bkt/obj");
  ASSERT_EQ(get.status, 200u) << get.body;
  EXPECT_TRUE(get.body == data);
  EXPECT_EQ(get.Header("x-amz-server-side-encryption"), "AES256");
  EXPECT_EQ(get.Header("etag"), put.Header("etag"));

  Response head = h_.Send("HEAD", "/bkt/obj");
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.content_length, data.size());
  EXPECT_EQ(head.Header("x-amz-server-side-encryption"), "AES256");
  EXPECT_FALSE(OnAnyDrive(data.substr(70000, 64)));
  ASSERT_FALSE(kms_.data_keys.empty());
  for (const std::string& key : kms_.data_keys) EXPECT_FALSE(OnAnyDrive(key));
}

TEST_F(SseTest, RangesAcrossPackagesDecryptExactly) {
  const std::string data = Pattern(3 * 65536 + 1234, 7);
  ASSERT_EQ(h_.Put("/bkt/r", data, {{"x-amz-server-side-encryption", "AES256"}}).status, 200u);
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges = {
      {0, 0},          {0, 65535},       {65535, 65536},
      {65000, 140000}, {131072, 131072}, {196607, data.size() - 1},
      {5, 5}};
  for (const auto& [first, last] : ranges) {
    Response r = h_.Get("/bkt/r",
                        {{"range", "bytes=" + std::to_string(first) + "-" + std::to_string(last)}});
    ASSERT_EQ(r.status, 206u) << first << "-" << last << " " << r.body;
    EXPECT_TRUE(r.body == data.substr(first, last - first + 1)) << first << "-" << last;
    EXPECT_EQ(r.Header("content-range"), "bytes " + std::to_string(first) + "-" +
                                             std::to_string(last) + "/" +
                                             std::to_string(data.size()));
  }
  Response suffix = h_.Get("/bkt/r", {{"range", "bytes=-100"}});
  ASSERT_EQ(suffix.status, 206u);
  EXPECT_TRUE(suffix.body == data.substr(data.size() - 100));
  Response past = h_.Get("/bkt/r", {{"range", "bytes=" + std::to_string(data.size()) + "-"}});
  EXPECT_EQ(past.Code(), "InvalidRange");
}

TEST_F(SseTest, SmallInlinedObjectsAndEmptyObjects) {
  for (const std::size_t n :
       {std::size_t{0}, std::size_t{1}, std::size_t{100}, std::size_t{3000}}) {
    const std::string data = Pattern(n, 3);
    const std::string target = "/bkt/small" + std::to_string(n);
    ASSERT_EQ(h_.Put(target, data, {{"x-amz-server-side-encryption", "AES256"}}).status, 200u);
    Response get = h_.Get(target);
    ASSERT_EQ(get.status, 200u) << get.body;
    EXPECT_TRUE(get.body == data) << n;
    EXPECT_EQ(get.Header("x-amz-server-side-encryption"), "AES256");
  }
  EXPECT_FALSE(OnAnyDrive(Pattern(100, 3).substr(10, 48)));
}

TEST_F(SseTest, SseKmsEchoesKeyAndBindsContext) {
  const std::string data = Pattern(5000, 4);
  const std::string context = auth::Base64Encode(R"({"project":"x"})");
  Response put = h_.Put("/bkt/k", data,
                        {{"x-amz-server-side-encryption", "aws:kms"},
                         {"x-amz-server-side-encryption-aws-kms-key-id", "app-key"},
                         {"x-amz-server-side-encryption-context", context}});
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(put.Header("x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(put.Header("x-amz-server-side-encryption-aws-kms-key-id"), "app-key");
  EXPECT_NE(put.Header("etag"), "\"" + Md5Hex(data) + "\"");
  ASSERT_FALSE(kms_.contexts.empty());
  EXPECT_NE(kms_.contexts.back().find("project"), std::string::npos);
  EXPECT_NE(kms_.contexts.back().find("bkt/k"), std::string::npos);

  Response get = h_.Get("/bkt/k");
  ASSERT_EQ(get.status, 200u) << get.body;
  EXPECT_TRUE(get.body == data);
  EXPECT_EQ(get.Header("x-amz-server-side-encryption-aws-kms-key-id"), "app-key");

  Response unknown = h_.Put("/bkt/k2", data,
                            {{"x-amz-server-side-encryption", "aws:kms"},
                             {"x-amz-server-side-encryption-aws-kms-key-id", "nope"}});
  EXPECT_EQ(unknown.status, 400u) << unknown.body;
}

TEST_F(SseTest, BadSseHeadersAreRefused) {
  EXPECT_EQ(h_.Put("/bkt/x", "a", {{"x-amz-server-side-encryption", "DES"}}).Code(),
            "InvalidArgument");
  EXPECT_EQ(h_.Put("/bkt/x", "a", {{"x-amz-server-side-encryption-aws-kms-key-id", "k"}}).Code(),
            "InvalidArgument");
  EXPECT_EQ(h_.Put("/bkt/x", "a",
                   {{"x-amz-server-side-encryption", "aws:kms"},
                    {"x-amz-server-side-encryption-context", "not base64 json"}})
                .Code(),
            "InvalidArgument");
  HeaderList bad_md5 = CustomerHeaders('k');
  bad_md5[2].second = auth::Base64Encode(std::string(16, 'x'));
  EXPECT_EQ(Tls("PUT", "/bkt/x", bad_md5, "a").Code(), "InvalidArgument");
  HeaderList short_key = CustomerHeaders('k');
  short_key[1].second = auth::Base64Encode("short");
  EXPECT_EQ(Tls("PUT", "/bkt/x", short_key, "a").Code(), "InvalidArgument");
  EXPECT_EQ(Tls("PUT", "/bkt/x",
                Join(CustomerHeaders('k'), {{"x-amz-server-side-encryption", "AES256"}}), "a")
                .Code(),
            "InvalidArgument");
  EXPECT_EQ(h_.Get("/bkt/x").Code(), "NoSuchKey");
}

TEST_F(SseTest, SseCRefusedOverPlainHttp) {
  Response r = h_.Put("/bkt/c", "data", CustomerHeaders('k'));
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.Code(), "InvalidRequest");
  EXPECT_NE(r.body.find("must be made over a secure connection"), std::string::npos);
}

TEST_F(SseTest, SseCNeedsTheKeyForGetAndHead) {
  const std::string data = Pattern(70000, 5);
  Response put = Tls("PUT", "/bkt/c", CustomerHeaders('k'), data);
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(put.Header("x-amz-server-side-encryption-customer-algorithm"), "AES256");
  EXPECT_EQ(put.Header("x-amz-server-side-encryption-customer-key-md5"),
            CustomerHeaders('k')[2].second);
  EXPECT_NE(put.Header("etag"), "\"" + Md5Hex(data) + "\"");

  Response no_key = Tls("GET", "/bkt/c");
  EXPECT_EQ(no_key.status, 400u);
  EXPECT_EQ(no_key.Code(), "InvalidRequest");
  EXPECT_EQ(Tls("HEAD", "/bkt/c").status, 400u);
  Response wrong = Tls("GET", "/bkt/c", CustomerHeaders('w'));
  EXPECT_EQ(wrong.status, 403u);
  EXPECT_EQ(wrong.Code(), "AccessDenied");
  EXPECT_EQ(wrong.body.find(data.substr(0, 16)), std::string::npos);
  EXPECT_EQ(Tls("HEAD", "/bkt/c", CustomerHeaders('w')).status, 403u);

  Response get = Tls("GET", "/bkt/c", CustomerHeaders('k'));
  ASSERT_EQ(get.status, 200u) << get.body;
  EXPECT_TRUE(get.body == data);
  EXPECT_EQ(get.Header("x-amz-server-side-encryption-customer-key-md5"),
            CustomerHeaders('k')[2].second);
  Response range =
      Tls("GET", "/bkt/c", Join(CustomerHeaders('k'), {{"range", "bytes=65530-65545"}}));
  ASSERT_EQ(range.status, 206u);
  EXPECT_TRUE(range.body == data.substr(65530, 16));
  Response head = Tls("HEAD", "/bkt/c", CustomerHeaders('k'));
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.content_length, data.size());

  // A key for an object that is not SSE-C is refused, as S3 does.
  ASSERT_EQ(h_.Put("/bkt/plain", "plain").status, 200u);
  EXPECT_EQ(Tls("GET", "/bkt/plain", CustomerHeaders('k')).status, 400u);
  EXPECT_FALSE(OnAnyDrive(data.substr(100, 64)));
  EXPECT_FALSE(OnAnyDrive(std::string(32, 'k')));
}

TEST_F(SseTest, MultipartSseCPartsNeedTheKeyAndRoundTrip) {
  const std::string p1 = Pattern(70000, 8), p2 = Pattern(3000, 9);
  const std::string id = Create("mp", CustomerHeaders('m'));
  ASSERT_FALSE(id.empty());
  const std::string base = "/bkt/mp?uploadId=" + id + "&partNumber=";
  EXPECT_EQ(Tls("PUT", base + "1", {}, p1).status, 400u);
  EXPECT_EQ(Tls("PUT", base + "1", CustomerHeaders('x'), p1).status, 403u);
  Response r1 = Tls("PUT", base + "1", CustomerHeaders('m'), p1);
  ASSERT_EQ(r1.status, 200u) << r1.body;
  EXPECT_EQ(r1.Header("x-amz-server-side-encryption-customer-algorithm"), "AES256");
  Response r2 = Tls("PUT", base + "2", CustomerHeaders('m'), p2);
  ASSERT_EQ(r2.status, 200u) << r2.body;
  const std::string complete = "<CompleteMultipartUpload><Part><ETag>" + r1.Header("etag") +
                               "</ETag><PartNumber>1</PartNumber></Part><Part><ETag>" +
                               r2.Header("etag") +
                               "</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>";
  Response done = Tls("POST", "/bkt/mp?uploadId=" + id, {}, complete);
  ASSERT_EQ(done.status, 200u) << done.body;
  EXPECT_TRUE(done.XmlText("ETag").ends_with("-2&quot;")) << done.XmlText("ETag");

  Response get = Tls("GET", "/bkt/mp", CustomerHeaders('m'));
  ASSERT_EQ(get.status, 200u) << get.body;
  EXPECT_TRUE(get.body == p1 + p2);
  Response across =
      Tls("GET", "/bkt/mp", Join(CustomerHeaders('m'), {{"range", "bytes=65000-71000"}}));
  ASSERT_EQ(across.status, 206u);
  EXPECT_TRUE(across.body == (p1 + p2).substr(65000, 6001));
  Response part2 = Tls("GET", "/bkt/mp?partNumber=2", CustomerHeaders('m'));
  ASSERT_EQ(part2.status, 206u) << part2.body;
  EXPECT_TRUE(part2.body == p2);
  EXPECT_EQ(Tls("HEAD", "/bkt/mp", CustomerHeaders('m')).content_length, p1.size() + p2.size());
  EXPECT_FALSE(OnAnyDrive(p1.substr(1000, 64)));
}

TEST_F(SseTest, MultipartSseS3EchoesOnEveryStep) {
  const std::string p1 = Pattern(2000, 10), p2 = Pattern(500, 11);
  const std::string id = Create("m3", {{"x-amz-server-side-encryption", "AES256"}});
  const std::string base = "/bkt/m3?uploadId=" + id + "&partNumber=";
  Response r1 = h_.Send("PUT", base + "1", {}, p1);
  ASSERT_EQ(r1.status, 200u) << r1.body;
  EXPECT_EQ(r1.Header("x-amz-server-side-encryption"), "AES256");
  Response r2 = h_.Send("PUT", base + "2", {}, p2);
  ASSERT_EQ(r2.status, 200u);
  // ListParts shows the parts' plaintext sizes.
  const std::vector<std::string> sizes =
      testing::XmlTexts(h_.Get("/bkt/m3?uploadId=" + id).body, "Size");
  EXPECT_EQ(sizes,
            (std::vector<std::string>{std::to_string(p1.size()), std::to_string(p2.size())}));
  Response done =
      h_.Send("POST", "/bkt/m3?uploadId=" + id, {},
              "<CompleteMultipartUpload><Part><ETag>" + r1.Header("etag") +
                  "</ETag><PartNumber>1</PartNumber></Part><Part><ETag>" + r2.Header("etag") +
                  "</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>");
  ASSERT_EQ(done.status, 200u) << done.body;
  EXPECT_EQ(done.Header("x-amz-server-side-encryption"), "AES256");
  Response get = h_.Get("/bkt/m3");
  EXPECT_TRUE(get.body == p1 + p2);
  EXPECT_EQ(get.Header("x-amz-server-side-encryption"), "AES256");
  Response list = h_.Get("/bkt?list-type=2");
  EXPECT_EQ(list.XmlText("Size"), std::to_string(p1.size() + p2.size()));
}

TEST_F(SseTest, CopyRotatesSseCKeyInPlaceAndChangesModes) {
  const std::string data = Pattern(90000, 12);
  ASSERT_EQ(Tls("PUT", "/bkt/c", CustomerHeaders('a'), data).status, 200u);
  // The source key is needed to read the source.
  Response no_source_key =
      Tls("PUT", "/bkt/c",
          Join(CustomerHeaders('b'),
               {{"x-amz-copy-source", "/bkt/c"}, {"x-amz-metadata-directive", "REPLACE"}}));
  EXPECT_EQ(no_source_key.status, 400u) << no_source_key.body;
  Response rotated =
      Tls("PUT", "/bkt/c",
          Join(Join(CustomerHeaders('b'), CustomerHeaders('a', "x-amz-copy-source-")),
               {{"x-amz-copy-source", "/bkt/c"}}));
  ASSERT_EQ(rotated.status, 200u) << rotated.body;
  EXPECT_EQ(Tls("GET", "/bkt/c", CustomerHeaders('a')).status, 403u);
  Response get = Tls("GET", "/bkt/c", CustomerHeaders('b'));
  ASSERT_EQ(get.status, 200u);
  EXPECT_TRUE(get.body == data);

  ASSERT_EQ(h_.Put("/bkt/s3", data, {{"x-amz-server-side-encryption", "AES256"}}).status, 200u);
  Response to_kms = h_.Send("PUT", "/bkt/kms",
                            {{"x-amz-copy-source", "/bkt/s3"},
                             {"x-amz-server-side-encryption", "aws:kms"},
                             {"x-amz-server-side-encryption-aws-kms-key-id", "app-key"}});
  ASSERT_EQ(to_kms.status, 200u) << to_kms.body;
  EXPECT_EQ(to_kms.Header("x-amz-server-side-encryption"), "aws:kms");
  Response kms_get = h_.Get("/bkt/kms");
  EXPECT_EQ(kms_get.Header("x-amz-server-side-encryption-aws-kms-key-id"), "app-key");
  EXPECT_TRUE(kms_get.body == data);
  // Copying an encrypted object without SSE headers stores plaintext (no
  // bucket default), readable without keys.
  Response plain =
      Tls("PUT", "/bkt/plain",
          Join(CustomerHeaders('b', "x-amz-copy-source-"), {{"x-amz-copy-source", "/bkt/c"}}));
  ASSERT_EQ(plain.status, 200u) << plain.body;
  Response plain_get = h_.Get("/bkt/plain");
  EXPECT_TRUE(plain_get.body == data);
  EXPECT_FALSE(plain_get.HasHeader("x-amz-server-side-encryption"));
}

TEST_F(SseTest, BucketDefaultEncryptsObjectsWithoutHeaders) {
  Response put_cfg =
      h_.Send("PUT", "/bkt?encryption", {},
              "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
              "<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"
              "</ServerSideEncryptionConfiguration>");
  ASSERT_EQ(put_cfg.status, 200u) << put_cfg.body;
  const std::string data = Pattern(10000, 13);
  Response put = h_.Put("/bkt/d", data);
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(put.Header("x-amz-server-side-encryption"), "AES256");
  EXPECT_TRUE(h_.Get("/bkt/d").body == data);
  EXPECT_FALSE(OnAnyDrive(data.substr(10, 64)));
  ASSERT_EQ(h_.Send("DELETE", "/bkt?encryption").status, 204u);
  Response after = h_.Put("/bkt/e", data);
  EXPECT_FALSE(after.HasHeader("x-amz-server-side-encryption"));
}

TEST_F(SseTest, KeyServiceDownFailsSseCleanlyAndPlainTrafficWorks) {
  const std::string data = Pattern(3000, 14);
  ASSERT_EQ(h_.Put("/bkt/before", data, {{"x-amz-server-side-encryption", "AES256"}}).status, 200u);
  kms_.down = true;
  Response put = h_.Put("/bkt/s", data, {{"x-amz-server-side-encryption", "AES256"}});
  EXPECT_EQ(put.status, 503u) << put.body;
  EXPECT_EQ(put.Code(), "ServiceUnavailable");
  Response get = h_.Get("/bkt/before");
  EXPECT_EQ(get.status, 503u);
  EXPECT_EQ(get.body.find(data.substr(0, 16)), std::string::npos);
  EXPECT_EQ(h_.Put("/bkt/plain", data).status, 200u);
  EXPECT_TRUE(h_.Get("/bkt/plain").body == data);
  // SSE-C needs no key service.
  EXPECT_EQ(Tls("PUT", "/bkt/c", CustomerHeaders('z'), data).status, 200u);
  kms_.down = false;
  EXPECT_TRUE(h_.Get("/bkt/before").body == data);
}

TEST_F(SseTest, VersionsKeepTheirOwnModes) {
  h_.MakeBucket("ver", /*versioned=*/true);
  Response v1 = h_.Put("/ver/o", "first", {{"x-amz-server-side-encryption", "AES256"}});
  Response v2 = Tls("PUT", "/ver/o", CustomerHeaders('v'), "second");
  ASSERT_EQ(v1.status, 200u);
  ASSERT_EQ(v2.status, 200u);
  EXPECT_EQ(h_.Get("/ver/o?versionId=" + v1.Header("x-amz-version-id")).body, "first");
  EXPECT_EQ(
      Tls("GET", "/ver/o?versionId=" + v2.Header("x-amz-version-id"), CustomerHeaders('v')).body,
      "second");
  EXPECT_EQ(Tls("GET", "/ver/o").status, 400u);
}

TEST_F(SseTest, SealedKeysDoNotMoveBetweenObjects) {
  ASSERT_EQ(h_.Put("/bkt/a", Pattern(1000, 1), {{"x-amz-server-side-encryption", "AES256"}}).status,
            200u);
  ASSERT_EQ(h_.Put("/bkt/b", Pattern(1000, 2), {{"x-amz-server-side-encryption", "AES256"}}).status,
            200u);
  // Swap the encryption records of the two objects' metadata on every drive.
  auto info_a = h_.objects().StatObject("bkt", "a", "");
  auto info_b = h_.objects().StatObject("bkt", "b", "");
  ASSERT_TRUE(info_a.has_value());
  ASSERT_TRUE(info_b.has_value());
  ASSERT_FALSE(info_a->encryption.empty());
  ASSERT_EQ(info_a->encryption.size(), info_b->encryption.size());
  int swapped = 0;
  for (int i = 0; i < 4; ++i) {
    for (auto& [path, bytes] : h_.env().Disk("d" + std::to_string(i))->files) {
      const std::size_t at = bytes.find(info_a->encryption);
      // Object "a" lives under its hex name.
      if (at != std::string::npos && path.find("/o/61/") != std::string::npos) {
        bytes.replace(at, info_b->encryption.size(), info_b->encryption);
        ++swapped;
      }
    }
  }
  ASSERT_GT(swapped, 0) << "the record was not found on the drives";
  Response get = h_.Get("/bkt/a");
  EXPECT_NE(get.status, 200u);
  EXPECT_EQ(get.body.find(Pattern(1000, 2).substr(0, 32)), std::string::npos);
}

TEST_F(SseTest, PolicyConditionsSeeTheSseHeaders) {
  // Writers must ask for SSE-KMS with app-key (the condition keys
  // s3:x-amz-server-side-encryption and -aws-kms-key-id reach the policy).
  auto installed = h_.InstallConfig(R"(
[users.writer]
secret = "env:WRITER"
policies = ["kms-only"]
[policies.kms-only]
json = '''{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*",
   "Condition":{"StringEquals":{"s3:x-amz-server-side-encryption":"aws:kms",
                                "s3:x-amz-server-side-encryption-aws-kms-key-id":"app-key"}}}]}'''
)",
                                    {{"WRITER", "writer-secret-key"}});
  ASSERT_TRUE(installed.has_value()) << installed.error().ToString();
  SendOptions writer;
  writer.access_key = "writer";
  writer.secret_key = "writer-secret-key";
  EXPECT_EQ(h_.Send("PUT", "/bkt/p1", {}, "x", writer).status, 403u);
  EXPECT_EQ(
      h_.Send("PUT", "/bkt/p2", {{"x-amz-server-side-encryption", "AES256"}}, "x", writer).status,
      403u);
  EXPECT_EQ(h_.Send("PUT", "/bkt/p3",
                    {{"x-amz-server-side-encryption", "aws:kms"},
                     {"x-amz-server-side-encryption-aws-kms-key-id", "app-key"}},
                    "x", writer)
                .status,
            200u);
}

}  // namespace
}  // namespace coffer::core::s3
