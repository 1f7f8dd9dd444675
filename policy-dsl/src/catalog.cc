#include "catalog.h"

#include <algorithm>
#include <array>

#include "pattern.h"

namespace coffer::policy::internal {
namespace {

// Sources: MinIO's policy package (s3, admin, kms and sts action names), sorted case-
// insensitively so that FindAction can binary-search.
constexpr std::string_view kActions[] = {
    "admin:AddUserToGroup",
    "admin:AttachUserOrGroupPolicy",
    "admin:BandwidthMonitor",
    "admin:CancelBatchJob",
    "admin:ClusterInfo",
    "admin:ConfigUpdate",
    "admin:ConsoleLog",
    "admin:CreatePolicy",
    "admin:CreateServiceAccount",
    "admin:CreateUser",
    "admin:DataUsageInfo",
    "admin:Decommission",
    "admin:DeletePolicy",
    "admin:DeleteUser",
    "admin:DescribeBatchJob",
    "admin:DisableGroup",
    "admin:DisableUser",
    "admin:DriveInfo",
    "admin:DriveList",
    "admin:EnableGroup",
    "admin:EnableUser",
    "admin:ExportBucketMetadata",
    "admin:ExportIAM",
    "admin:ForceUnlock",
    "admin:GenerateBatchJob",
    "admin:GetBucketQuota",
    "admin:GetBucketTarget",
    "admin:GetGroup",
    "admin:GetPolicy",
    "admin:GetUser",
    "admin:Heal",
    "admin:ImportBucketMetadata",
    "admin:ImportIAM",
    "admin:InspectData",
    "admin:InventoryControl",
    "admin:KMSCreateKey",
    "admin:KMSKeyStatus",
    "admin:LicenseInfo",
    "admin:ListBatchJobs",
    "admin:ListGroups",
    "admin:ListServiceAccounts",
    "admin:ListTemporaryAccounts",
    "admin:ListTier",
    "admin:ListUserPolicies",
    "admin:ListUsers",
    "admin:NodeInfo",
    "admin:NodeList",
    "admin:OBDInfo",
    "admin:PoolInfo",
    "admin:PoolList",
    "admin:Profiling",
    "admin:Prometheus",
    "admin:Rebalance",
    "admin:RemoveServiceAccount",
    "admin:RemoveUserFromGroup",
    "admin:ReplicationDiff",
    "admin:ServerInfo",
    "admin:ServerTrace",
    "admin:ServerUpdate",
    "admin:ServiceCordon",
    "admin:ServiceFreeze",
    "admin:ServiceRestart",
    "admin:ServiceStop",
    "admin:SetBucketQuota",
    "admin:SetBucketTarget",
    "admin:SetInfo",
    "admin:SetTier",
    "admin:SiteReplicationAdd",
    "admin:SiteReplicationDisable",
    "admin:SiteReplicationInfo",
    "admin:SiteReplicationOperation",
    "admin:SiteReplicationRemove",
    "admin:SiteReplicationResync",
    "admin:StartBatchJob",
    "admin:StorageInfo",
    "admin:TopLocksInfo",
    "admin:UpdatePolicyAssociation",
    "admin:UpdateServiceAccount",
    "kms:API",
    "kms:AssignPolicy",
    "kms:AuditLog",
    "kms:CreateKey",
    "kms:DeleteIdentity",
    "kms:DeleteKey",
    "kms:DeletePolicy",
    "kms:DescribeIdentity",
    "kms:DescribePolicy",
    "kms:DescribeSelfIdentity",
    "kms:Enable",
    "kms:ErrorLog",
    "kms:GetPolicy",
    "kms:ImportKey",
    "kms:KeyRotate",
    "kms:KeyStatus",
    "kms:ListIdentities",
    "kms:ListKeys",
    "kms:ListPolicies",
    "kms:Metrics",
    "kms:SetPolicy",
    "kms:Status",
    "kms:Version",
    "s3:AbortMultipartUpload",
    "s3:BypassGovernanceRetention",
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteBucketCors",
    "s3:DeleteBucketPolicy",
    "s3:DeleteObject",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectVersionTagging",
    "s3:ForceDeleteBucket",
    "s3:GetBucketCors",
    "s3:GetBucketLocation",
    "s3:GetBucketNotification",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketPolicy",
    "s3:GetBucketPolicyStatus",
    "s3:GetBucketQOS",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetEncryptionConfiguration",
    "s3:GetInventoryConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetObject",
    "s3:GetObjectAttributes",
    "s3:GetObjectLegalHold",
    "s3:GetObjectRetention",
    "s3:GetObjectTagging",
    "s3:GetObjectVersion",
    "s3:GetObjectVersionAttributes",
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionTagging",
    "s3:GetReplicationConfiguration",
    "s3:HeadBucket",
    "s3:ListAllMyBuckets",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:ListBucketVersions",
    "s3:ListenBucketNotification",
    "s3:ListenNotification",
    "s3:ListMultipartUploadParts",
    "s3:PutBucketCors",
    "s3:PutBucketNotification",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketPolicy",
    "s3:PutBucketQOS",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutInventoryConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutObject",
    "s3:PutObjectFanOut",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:PutReplicationConfiguration",
    "s3:ReplicateDelete",
    "s3:ReplicateObject",
    "s3:ReplicateTags",
    "s3:ResetBucketReplicationState",
    "s3:RestoreObject",
    "s3express:CreateSession",
    "sts:AssumeRole",
    "sts:AssumeRoleWithCertificate",
    "sts:AssumeRoleWithClientGrants",
    "sts:AssumeRoleWithCustomToken",
    "sts:AssumeRoleWithLDAPIdentity",
    "sts:AssumeRoleWithWebIdentity",
};

constexpr bool ActionsSorted() {
  for (size_t i = 1; i < std::size(kActions); ++i) {
    if (CompareIgnoreCase(kActions[i - 1], kActions[i]) >= 0) return false;
  }
  return true;
}
static_assert(ActionsSorted(), "kActions must stay sorted case-insensitively");

constexpr std::string_view kConditionKeys[] = {
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:groups",
    "aws:PrincipalType",
    "aws:Referer",
    "aws:SecureTransport",
    "aws:SourceIp",
    "aws:UserAgent",
    "aws:userid",
    "aws:username",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:TokenIssueTime",
    "aws:MultiFactorAuthPresent",
    "s3:authType",
    "s3:delimiter",
    "s3:LocationConstraint",
    "s3:max-keys",
    "s3:object-lock-legal-hold",
    "s3:object-lock-mode",
    "s3:object-lock-remaining-retention-days",
    "s3:object-lock-retain-until-date",
    "s3:prefix",
    "s3:RequestObjectTagKeys",
    "s3:signatureAge",
    "s3:signatureversion",
    "s3:versionid",
    "s3:x-amz-acl",
    "s3:x-amz-content-sha256",
    "s3:x-amz-copy-source",
    "s3:x-amz-metadata-directive",
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-server-side-encryption-customer-algorithm",
    "s3:x-amz-storage-class",
    "sts:DurationSeconds",
    "svc:DurationSeconds",
};

constexpr std::string_view kConditionKeyFamilies[] = {
    "jwt:",
    "ldap:",
    "s3:ExistingObjectTag/",
    "s3:RequestObjectTag/",
};

}  // namespace

std::span<const std::string_view> KnownActions() { return kActions; }

int FindAction(std::string_view action) {
  const auto* it = std::lower_bound(
      std::begin(kActions), std::end(kActions), action,
      [](std::string_view a, std::string_view b) { return CompareIgnoreCase(a, b) < 0; });
  if (it == std::end(kActions) || !EqualsIgnoreCase(*it, action)) return -1;
  return static_cast<int>(it - std::begin(kActions));
}

std::pair<size_t, size_t> CandidateActions(std::string_view pattern) {
  const std::string_view prefix = pattern.substr(0, pattern.find_first_of("*?"));
  const auto less = [](std::string_view a, std::string_view b) {
    return CompareIgnoreCase(a, b) < 0;
  };
  const auto* first = std::lower_bound(std::begin(kActions), std::end(kActions), prefix, less);
  const auto* last = first;
  while (last != std::end(kActions) && StartsWithIgnoreCase(*last, prefix)) ++last;
  return {static_cast<size_t>(first - std::begin(kActions)),
          static_cast<size_t>(last - std::begin(kActions))};
}

bool ActionPatternIsKnown(std::string_view pattern) {
  if (pattern == "*") return true;
  const auto [first, last] = CandidateActions(pattern);
  for (size_t i = first; i < last; ++i) {
    if (GlobMatch(pattern, kActions[i], /*ignore_case=*/true)) return true;
  }
  return false;
}

bool ActionUsesResource(std::string_view action) {
  return StartsWithIgnoreCase(action, "s3:") || StartsWithIgnoreCase(action, "s3express:");
}

bool IsKnownConditionKey(std::string_view key) {
  for (const std::string_view known : kConditionKeys) {
    if (EqualsIgnoreCase(known, key)) return true;
  }
  for (const std::string_view family : kConditionKeyFamilies) {
    if (key.size() > family.size() && StartsWithIgnoreCase(key, family)) return true;
  }
  return false;
}

}  // namespace coffer::policy::internal
