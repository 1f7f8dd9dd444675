// RFC 4515 filter escaping, filter templates, the filter checker and RFC 4514
// DN normalisation used by AssumeRoleWithLDAPIdentity.

#include "coffer/core/sts/ldap_escape.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace coffer::core::sts {
namespace {

TEST(LdapEscape, EscapesTheFiveSpecialCharactersAndControls) {
  EXPECT_EQ(EscapeFilterValue("alice"), "alice");
  EXPECT_EQ(EscapeFilterValue("*"), "\\2a");
  EXPECT_EQ(EscapeFilterValue("a(b)c"), "a\\28b\\29c");
  EXPECT_EQ(EscapeFilterValue("back\\slash"), "back\\5cslash");
  EXPECT_EQ(EscapeFilterValue(std::string("nul\0x", 5)), "nul\\00x");
  EXPECT_EQ(EscapeFilterValue("tab\there"), "tab\\09here");
  EXPECT_EQ(EscapeFilterValue("J\xc3\xbcrgen"), "J\xc3\xbcrgen");  // UTF-8 kept.
}

TEST(LdapEscape, UnescapeInvertsEscape) {
  for (const std::string& s :
       std::vector<std::string>{"", "alice", "*)(uid=*", "admin)(|(uid=*", "\\\\2a", "x\x7f"}) {
    EXPECT_EQ(UnescapeFilterValue(EscapeFilterValue(s)), s) << s;
  }
  EXPECT_EQ(UnescapeFilterValue("\\2A"), "*");
  EXPECT_FALSE(UnescapeFilterValue("\\").has_value());
  EXPECT_FALSE(UnescapeFilterValue("\\2").has_value());
  EXPECT_FALSE(UnescapeFilterValue("\\zz").has_value());
}

TEST(LdapEscape, TemplateReplacesUsernameAndDnEscaped) {
  EXPECT_EQ(ExpandFilterTemplate("(uid=%s)", "alice"), "(uid=alice)");
  EXPECT_EQ(ExpandFilterTemplate("(uid=%s)", "*)(uid=*"), "(uid=\\2a\\29\\28uid=\\2a)");
  EXPECT_EQ(ExpandFilterTemplate("(&(member=%d)(x=%s))", "bo*b", "cn=b(o)b,dc=x"),
            "(&(member=cn=b\\28o\\29b,dc=x)(x=bo\\2ab))");
  EXPECT_EQ(ExpandFilterTemplate("(pct=100%%)(a=%x)", "u"), "(pct=100%)(a=%x)");
  EXPECT_EQ(ExpandFilterTemplate("(uid=%", "u"), "(uid=%");
}

TEST(LdapEscape, InjectionStringsStayOneItem) {
  const std::string tmpl = "(&(objectClass=inetOrgPerson)(uid=%s))";
  for (const std::string& attack :
       std::vector<std::string>{"*", "*)(uid=*", "admin)(|(uid=*", "a)(objectClass=*))(&(uid=a",
                                "\\2a", std::string("x\0)", 3), "*)(|(password=*)"}) {
    std::string filter = ExpandFilterTemplate(tmpl, attack);
    EXPECT_EQ(FilterItemCount(filter), 2u) << filter;
    EXPECT_EQ(filter.find('*'), std::string::npos) << filter;
  }
}

TEST(LdapEscape, FilterCheckerAcceptsRfc4515Examples) {
  EXPECT_EQ(FilterItemCount("(cn=Babs Jensen)"), 1u);
  EXPECT_EQ(FilterItemCount("(!(cn=Tim Howes))"), 1u);
  EXPECT_EQ(FilterItemCount("(&(objectClass=Person)(|(sn=Jensen)(cn=Babs J*)))"), 3u);
  EXPECT_EQ(FilterItemCount("(o=univ*of*mich*)"), 1u);
  EXPECT_EQ(FilterItemCount("(seeAlso=)"), 1u);
  EXPECT_EQ(FilterItemCount("(cn:caseExactMatch:=Fred Flintstone)"), 1u);
  EXPECT_EQ(FilterItemCount("(cn:dn:2.4.6.8.10:=Dino)"), 1u);
  EXPECT_EQ(FilterItemCount("(:dn:2.4.6.8.10:=Dino)"), 1u);
  EXPECT_EQ(FilterItemCount("(o=Parens R Us \\28for all your parenthetical needs\\29)"), 1u);
  EXPECT_EQ(FilterItemCount("(uidNumber>=1000)"), 1u);
}

TEST(LdapEscape, FilterCheckerRefusesMalformedFilters) {
  for (const std::string& bad : std::vector<std::string>{
           "", "cn=x", "(cn=x", "(cn=x))", "(cn=x)(cn=y)", "(&)", "(cn=a(b)", "(cn>=a*)", "(=x)",
           "(cn=\\2)", "(cn=\\zz)", "(!(a=b)(c=d))", "(:=x)", "(uid=x)junk"}) {
    EXPECT_FALSE(FilterItemCount(bad).has_value()) << bad;
  }
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "(!";
  deep += "(a=b)";
  for (int i = 0; i < 100; ++i) deep += ")";
  EXPECT_FALSE(FilterItemCount(deep).has_value());  // Depth is bounded.
}

TEST(LdapEscape, DnNormalisationIgnoresCaseSpacesAndEscapeSpelling) {
  EXPECT_EQ(NormalizeDn("CN=Devs, OU=Groups , DC=Example,DC=org"),
            "cn=devs,ou=groups,dc=example,dc=org");
  EXPECT_TRUE(SameDn("uid=alice,ou=people,dc=example,dc=org",
                     "UID = Alice ; OU=People ; DC=EXAMPLE ; DC=org"));
  EXPECT_TRUE(SameDn("cn=Smith\\, John,dc=x", "cn=smith\\2C john,dc=x"));
  EXPECT_TRUE(SameDn("cn=Smith\\, John,dc=x", "cn=\"Smith, John\",dc=x"));
  EXPECT_TRUE(SameDn("cn=a+sn=b,dc=x", "sn=B+cn=A,dc=x"));  // RDN sets are unordered.
  EXPECT_FALSE(SameDn("cn=alice,dc=x", "cn=alice2,dc=x"));
  EXPECT_FALSE(SameDn("cn=alice,dc=x", "cn=alice,dc=x,dc=y"));
  EXPECT_FALSE(SameDn("cn=a\\,b,dc=x", "cn=a,cn=b,dc=x"));  // An escaped comma is no separator.
  EXPECT_EQ(NormalizeDn(""), "");
  EXPECT_EQ(NormalizeDn("cn=\\ lead and trail\\ ,dc=x"), "cn=\\ lead and trail\\ ,dc=x");
  EXPECT_EQ(NormalizeDn("cn=#04024869,dc=x"), "cn=#04024869,dc=x");
}

TEST(LdapEscape, DnNormalisationRefusesMalformedDns) {
  for (const std::string& bad :
       std::vector<std::string>{"cn", "=x", "cn=x,", ",cn=x", "cn=a\"b", "cn=a\\", "cn=a\\zz",
                                "c n=x", "cn=\"unterminated", "cn=#0", "cn=<x>"}) {
    EXPECT_FALSE(NormalizeDn(bad).has_value()) << bad;
    EXPECT_FALSE(SameDn(bad, bad)) << bad;  // Malformed DNs match nothing, not even themselves.
  }
}

TEST(LdapEscape, DnNormalisationIsIdempotent) {
  for (const std::string& dn : std::vector<std::string>{
           "CN=Devs, OU=Groups , DC=Example,DC=org", "cn=Smith\\, John,dc=x", "cn=\\ x\\ ,dc=y",
           "cn=\\#hash,dc=y", "cn=a\\00b", "sn=B+cn=A;dc=x", "cn=a=b,dc=x", "cn=\"q+uote\",dc=x"}) {
    std::optional<std::string> once = NormalizeDn(dn);
    ASSERT_TRUE(once.has_value()) << dn;
    EXPECT_EQ(NormalizeDn(*once), once) << dn;
  }
}

}  // namespace
}  // namespace coffer::core::sts
