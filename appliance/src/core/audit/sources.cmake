# The audit subsystem (owner: audit): entries, redaction, the durable spool,
# targets and delivery, the auditing handler and /metrics. Paths relative to
# appliance/.
list(APPEND COFFER_CORE_SRCS
  src/core/audit/record.cc
  src/core/audit/spool.cc
  src/core/audit/redact.cc
  src/core/audit/entry.cc
  src/core/audit/audit_log.cc
  src/core/audit/audit_handler.cc
  src/core/audit/metrics.cc
  src/core/audit/metrics_access.cc
  src/core/audit/audited_key_service.cc
  src/core/audit/recent.cc)
list(APPEND COFFER_CORE_PRIVATE_DEPS nlohmann_json::nlohmann_json)
