# The key service (issue 9, owner: kms): the in-process key store behind
# env::KeyService, and KES's HTTP API over it for `coffer kms serve`.
# Paths relative to appliance/.
list(APPEND COFFER_CORE_SRCS
  src/core/kms/aead.cc
  src/core/kms/local_key_service.cc
  src/core/kms/kes_policy.cc
  src/core/kms/kes_api.cc)
list(APPEND COFFER_CORE_DEPS coffer::state)
list(APPEND COFFER_CORE_PRIVATE_DEPS nlohmann_json::nlohmann_json coffer::tomlplusplus)
