-- 0001_initial: the IAM store. Rows carry an owner: 'repo' rows come from the config repo
-- and apply may create, update and prune them; 'runtime' rows (STS sessions, service
-- accounts, users created by the admin API) are never touched by apply; 'builtin' policies
-- are synced by apply. applied_digest is the SHA-256 of the row as apply last wrote it; a
-- row whose content no longer matches it was changed out of band (drift).
-- Time is always a parameter (*_at_ns, Unix nanoseconds); SQL never reads the clock.

CREATE TABLE users (
  name TEXT PRIMARY KEY NOT NULL,
  owner TEXT NOT NULL CHECK (owner IN ('repo', 'runtime')),
  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  secret_ciphertext BLOB NOT NULL,
  secret_digest TEXT NOT NULL,
  applied_digest TEXT NOT NULL,
  updated_at_ns INTEGER NOT NULL
);

CREATE TABLE policies (
  name TEXT PRIMARY KEY NOT NULL,
  owner TEXT NOT NULL CHECK (owner IN ('repo', 'runtime', 'builtin')),
  document TEXT NOT NULL,
  applied_digest TEXT NOT NULL,
  updated_at_ns INTEGER NOT NULL
);

CREATE TABLE iam_groups (
  name TEXT PRIMARY KEY NOT NULL,
  owner TEXT NOT NULL CHECK (owner IN ('repo', 'runtime')),
  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  applied_digest TEXT NOT NULL,
  updated_at_ns INTEGER NOT NULL
);

CREATE TABLE user_policies (
  user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  policy_name TEXT NOT NULL REFERENCES policies (name) ON DELETE CASCADE,
  PRIMARY KEY (user_name, policy_name)
) WITHOUT ROWID;
CREATE INDEX user_policies_by_policy ON user_policies (policy_name);

CREATE TABLE group_members (
  group_name TEXT NOT NULL REFERENCES iam_groups (name) ON DELETE CASCADE,
  user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  PRIMARY KEY (group_name, user_name)
) WITHOUT ROWID;
CREATE INDEX group_members_by_user ON group_members (user_name);

CREATE TABLE group_policies (
  group_name TEXT NOT NULL REFERENCES iam_groups (name) ON DELETE CASCADE,
  policy_name TEXT NOT NULL REFERENCES policies (name) ON DELETE CASCADE,
  PRIMARY KEY (group_name, policy_name)
) WITHOUT ROWID;
CREATE INDEX group_policies_by_policy ON group_policies (policy_name);

CREATE TABLE buckets (
  name TEXT PRIMARY KEY NOT NULL,
  owner TEXT NOT NULL CHECK (owner IN ('repo', 'runtime')),
  versioning INTEGER NOT NULL CHECK (versioning IN (0, 1)),
  encryption TEXT NOT NULL CHECK (encryption IN ('none', 'sse-s3', 'sse-kms')),
  kms_key TEXT NOT NULL,
  policy TEXT NOT NULL,
  anonymous TEXT NOT NULL CHECK (anonymous IN ('none', 'download', 'upload', 'public')),
  quota_objects INTEGER,
  quota_bytes INTEGER,
  applied_digest TEXT NOT NULL,
  updated_at_ns INTEGER NOT NULL
);

-- Appliance, key service, identity providers and audit targets: schema-driven fields as a
-- JSON object; resolved secrets encrypted under the master key as one JSON object.
CREATE TABLE settings (
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  owner TEXT NOT NULL CHECK (owner IN ('repo', 'runtime')),
  fields TEXT NOT NULL,
  secret_digests TEXT NOT NULL,
  secrets_ciphertext BLOB,
  applied_digest TEXT NOT NULL,
  updated_at_ns INTEGER NOT NULL,
  PRIMARY KEY (kind, name)
);

-- Runtime-owned credentials. Not tied to users by foreign key: apply never cascades into
-- them; the snapshot drops those whose parent user is gone or disabled.
CREATE TABLE service_accounts (
  access_key TEXT PRIMARY KEY NOT NULL,
  parent_user TEXT NOT NULL,
  owner TEXT NOT NULL DEFAULT 'runtime' CHECK (owner = 'runtime'),
  secret_ciphertext BLOB NOT NULL,
  policy TEXT NOT NULL,
  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  expires_at_ns INTEGER,
  created_at_ns INTEGER NOT NULL
);

CREATE TABLE sts_sessions (
  access_key TEXT PRIMARY KEY NOT NULL,
  parent TEXT NOT NULL,
  owner TEXT NOT NULL DEFAULT 'runtime' CHECK (owner = 'runtime'),
  secret_ciphertext BLOB NOT NULL,
  session_token_digest TEXT NOT NULL,
  policy TEXT NOT NULL,
  expires_at_ns INTEGER NOT NULL,
  created_at_ns INTEGER NOT NULL
);
CREATE INDEX sts_sessions_by_expiry ON sts_sessions (expires_at_ns);

-- One record per applied change, secrets redacted; drained by the audit subsystem.
CREATE TABLE audit_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  revision TEXT NOT NULL,
  at_ns INTEGER NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  old_value TEXT NOT NULL,
  new_value TEXT NOT NULL
);

CREATE TABLE reconcile_status (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_applied_revision TEXT NOT NULL,
  last_applied_author TEXT NOT NULL,
  last_applied_dirty INTEGER NOT NULL,
  last_applied_at_ns INTEGER NOT NULL,
  last_attempted_revision TEXT NOT NULL,
  last_attempted_at_ns INTEGER NOT NULL,
  condition TEXT NOT NULL CHECK (condition IN ('Unknown', 'Ready', 'Degraded')),
  reason TEXT NOT NULL,
  message TEXT NOT NULL,
  generation INTEGER NOT NULL
);
INSERT INTO reconcile_status VALUES (1, '', '', 0, 0, '', 0, 'Unknown', 'NeverApplied', '', 0);
