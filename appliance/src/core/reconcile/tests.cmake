# The reconcile loop against an in-memory config repo (issue #4).
coffer_test(NAME coffer_core_reconcile_test
  SRCS ${PROJECT_SOURCE_DIR}/appliance/test/core/reconcile/reconciler_test.cc
  DEPS coffer::core coffer::state
  LABELS unit)
