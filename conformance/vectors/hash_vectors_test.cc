// The published test vectors of every digest, MAC, checksum and encoding
// Coffer wraps (issue #13, "HMAC and SHA test vectors where Coffer wraps
// them"), run through Coffer's own wrappers rather than OpenSSL directly:
//   SHA-256   FIPS 180-4 examples (FIPS 180-2 Appendix B): auth::Crypto, one
//             shot and streamed (the million-'a' message in 1000 updates);
//   HMAC-SHA-256  RFC 4231 test cases 1-7 (SigV4's signing key chain);
//   HMAC-SHA-1    RFC 2202 test cases 1-7 (SigV2, for legacy clients);
//   SHA-1     FIPS 180 examples (x-amz-checksum-sha1);
//   MD5       RFC 1321 appendix A.5 test suite (ETags, Content-MD5);
//   CRC-32 and CRC-32C  the catalogue check values (x-amz-checksum-crc32/c);
//   CRC-64    the shard bitrot checksum: CRC-64/XZ check value;
//   Base64    RFC 4648 section 10.

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include "coffer/core/auth/checksum.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/storage/erasure_coder.h"
#include "coffer/core/storage/md5.h"

namespace {

using coffer::core::auth::Base64Encode;
using coffer::core::auth::Crypto;
using coffer::core::auth::HexEncode;

// One library context for the whole binary, as the Env of `coffer serve`.
OSSL_LIB_CTX* LibCtx() {
  static OSSL_LIB_CTX* const ctx = OSSL_LIB_CTX_new();
  return ctx;
}

std::string Unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

class HashVectors : public ::testing::Test {
 protected:
  void SetUp() override {
    auto crypto = Crypto::Create(LibCtx());
    ASSERT_TRUE(crypto.has_value());
    crypto_ = std::move(crypto).value();
  }
  std::unique_ptr<Crypto> crypto_;
};

TEST_F(HashVectors, Sha256Fips180) {
  EXPECT_EQ(crypto_->Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(crypto_->Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(crypto_->Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // One million 'a', streamed in 1000 pieces through the incremental API.
  auto stream = crypto_->NewSha256();
  const std::string thousand(1000, 'a');
  for (int i = 0; i < 1000; ++i) stream->Update(thousand);
  EXPECT_EQ(HexEncode(stream->Final()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_F(HashVectors, Sha1Fips180) {
  auto stream = crypto_->NewSha1();
  stream->Update("abc");
  EXPECT_EQ(HexEncode(stream->Final()), "a9993e364706816aba3e25717850c26c9cd0d89d");
  auto two = crypto_->NewSha1();
  two->Update("abcdbcdecdefdefgefghfghighijhij");
  two->Update("kijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(HexEncode(two->Final()), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

struct MacCase {
  const char* key_hex;
  const char* data_hex;
  const char* mac_hex;  // May be a prefix (RFC 4231 case 5 is truncated to 128 bits).
};

TEST_F(HashVectors, HmacSha256Rfc4231) {
  const std::string case7 =
      "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d7369"
      "7a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e2054"
      "6865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e672075736564"
      "2062792074686520484d414320616c676f726974686d2e";
  const std::string aa131(262, 'a');
  const MacCase cases[] = {
      {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
       "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
       "dddddddddddd",
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"0102030405060708090a0b0c0d0e0f10111213141516171819",
       "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
       "cdcdcdcdcdcd",
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "546573742057697468205472756e636174696f6e",
       "a3b6167473100ee06e0c796c2955552b"},
      {aa131.c_str(),
       "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368"
       "204b6579204669727374",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {aa131.c_str(), case7.c_str(),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  int n = 1;
  for (const MacCase& c : cases) {
    const std::string mac = HexEncode(crypto_->HmacSha256(Unhex(c.key_hex), Unhex(c.data_hex)));
    EXPECT_TRUE(mac.starts_with(c.mac_hex)) << "RFC 4231 case " << n << ": " << mac;
    ++n;
  }
}

TEST_F(HashVectors, HmacSha1Rfc2202) {
  const std::string aa80(160, 'a');
  const MacCase cases[] = {
      {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
       "b617318655057264e28bc0b6fb378c8ef146be00"},
      {"4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
       "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
       "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
       "dddddddddddd",
       "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
      {"0102030405060708090a0b0c0d0e0f10111213141516171819",
       "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
       "cdcdcdcdcdcd",
       "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
      {"0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "546573742057697468205472756e636174696f6e",
       "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"},
      {aa80.c_str(),
       "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368"
       "204b6579204669727374",
       "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
      {aa80.c_str(),
       "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b657920616e64204c61"
       "72676572205468616e204f6e6520426c6f636b2d53697a652044617461",
       "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
  };
  int n = 1;
  for (const MacCase& c : cases) {
    EXPECT_EQ(HexEncode(crypto_->HmacSha1(Unhex(c.key_hex), Unhex(c.data_hex))), c.mac_hex)
        << "RFC 2202 case " << n;
    ++n;
  }
}

TEST(Md5Vectors, Rfc1321TestSuite) {
  const std::pair<std::string, const char*> cases[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
       "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  for (const auto& [message, digest] : cases) {
    coffer::core::storage::Md5 md5(LibCtx());
    // Fed in two pieces: the incremental path is the one PUT uses.
    const std::size_t half = message.size() / 2;
    md5.Update(std::as_bytes(std::span(message.data(), half)));
    md5.Update(std::as_bytes(std::span(message.data() + half, message.size() - half)));
    EXPECT_EQ(HexEncode(md5.FinishRaw()), digest) << '"' << message << '"';
  }
}

TEST(ChecksumVectors, CatalogueCheckValues) {
  using coffer::core::auth::Crc32;
  using coffer::core::auth::Crc32c;
  EXPECT_EQ(Crc32(0, "123456789"), 0xCBF43926u);   // CRC-32/ISO-HDLC
  EXPECT_EQ(Crc32c(0, "123456789"), 0xE3069283u);  // CRC-32/ISCSI
  const std::string check = "123456789";
  // CRC-64/XZ (ECMA-182 polynomial, reflected, init and xorout all ones).
  EXPECT_EQ(coffer::core::storage::ShardChecksum(std::as_bytes(std::span(check))),
            0x995DC9BBDF1939FAull);
  EXPECT_EQ(coffer::core::storage::ShardChecksum({}), 0u);
}

TEST(Base64Vectors, Rfc4648Section10) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

}  // namespace
