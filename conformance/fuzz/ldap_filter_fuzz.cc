// libFuzzer target for AssumeRoleWithLDAPIdentity's string handling. For any
// bytes: escaping round-trips and leaves no filter metacharacter; a username
// or DN put into the configured templates never changes the filter's shape
// (the injection property); DN normalisation is idempotent; the filter
// checker never crashes or recurses without bound.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "coffer/core/sts/ldap_escape.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace coffer::core::sts;  // NOLINT: a fuzz target.
  std::string_view input(reinterpret_cast<const char*>(data), size);

  std::string escaped = EscapeFilterValue(input);
  Check(UnescapeFilterValue(escaped) == std::string(input));
  Check(escaped.find_first_of(std::string_view("()*\0", 4)) == std::string::npos);

  Check(FilterItemCount(ExpandFilterTemplate("(&(objectClass=inetOrgPerson)(uid=%s))", input)) ==
        2u);
  Check(FilterItemCount(ExpandFilterTemplate("(|(member=%d)(memberUid=%s))", input, input)) == 2u);

  if (std::optional<std::string> dn = NormalizeDn(input)) {
    Check(NormalizeDn(*dn) == dn);
    Check(SameDn(input, *dn));
  }
  (void)FilterItemCount(input);
  return 0;
}
