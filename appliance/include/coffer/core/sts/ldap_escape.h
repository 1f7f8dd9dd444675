#pragma once
// The string handling that keeps AssumeRoleWithLDAPIdentity safe from LDAP
// injection and DN look-alikes: RFC 4515 escaping of values put into search
// filters, expansion of the configured filter templates (MinIO's %s and %d),
// a well-formedness check of filters, and RFC 4514 DN normalisation so that
// DNs from the config repo and from the server compare equal when they name
// the same entry. Pure functions, thread-safe, no allocation beyond results.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace coffer::core::sts {

// Escapes `value` for use as an assertion value in a filter (RFC 4515 §3):
// '*', '(', ')', '\' and NUL become \2a, \28, \29, \5c and \00; other control
// bytes and DEL are escaped too. Every other byte (UTF-8 included) is kept.
// SECURITY: the result can never end a filter item or start a new one.
std::string EscapeFilterValue(std::string_view value);

// Inverse of EscapeFilterValue for any input it produced (and any valid
// escaped value: "\XX" with two hex digits). nullopt on a bad escape.
std::optional<std::string> UnescapeFilterValue(std::string_view escaped);

// Expands a filter template: "%s" becomes the escaped `username`, "%d" the
// escaped `user_dn`, "%%" a '%'; any other '%' is kept as is.
std::string ExpandFilterTemplate(std::string_view filter_template, std::string_view username,
                                 std::string_view user_dn = {});

// Number of simple items ("(attr=value)", "(attr=*)", substrings, ">=",
// "<=", "~=") in `filter` when it is a well-formed RFC 4515 filter (with the
// outer parentheses), else nullopt. Extensible matches count as items.
std::optional<std::size_t> FilterItemCount(std::string_view filter);

// Canonical form of a DN for comparison: attribute types and values in
// ASCII lower case, spaces around separators dropped, escapes ("\,", "\2C")
// decoded and re-escaped one canonical way, multi-valued RDNs sorted, ';'
// accepted as a separator. nullopt when `dn` is not a well-formed DN. The
// empty DN normalises to "". Idempotent: NormalizeDn(*NormalizeDn(x)) ==
// NormalizeDn(x).
std::optional<std::string> NormalizeDn(std::string_view dn);

// True when both are well-formed DNs that normalise to the same string.
bool SameDn(std::string_view a, std::string_view b);

}  // namespace coffer::core::sts
