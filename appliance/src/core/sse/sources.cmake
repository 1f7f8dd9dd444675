# Server-side encryption: package format, streams, metadata record, object
# keys (owner: sse, issue #9). Paths relative to appliance/.
list(APPEND COFFER_CORE_SRCS
  src/core/sse/format.cc
  src/core/sse/metadata.cc
  src/core/sse/primitives.cc
  src/core/sse/engine.cc
  src/core/sse/stream.cc
  src/core/sse/rewrap.cc)
list(APPEND COFFER_CORE_PRIVATE_DEPS nlohmann_json::nlohmann_json)
