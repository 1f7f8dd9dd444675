# The reconcile loop (issue #4): config repo -> IAM store -> snapshot. Paths
# relative to appliance/.
list(APPEND COFFER_CORE_SRCS src/core/reconcile/reconciler.cc src/core/reconcile/bucket_sync.cc)
list(APPEND COFFER_CORE_DEPS coffer::state)
