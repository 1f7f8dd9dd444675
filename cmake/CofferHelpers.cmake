# coffer_library(), coffer_executable(), coffer_test(), coffer_benchmark() and
# coffer_fuzzer(): every target is declared through these, so warnings,
# sanitizers and test labels are the same everywhere (Abseil's absl_cc_library).

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_C_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()

if(COFFER_SANITIZE)
  add_compile_options(-fsanitize=${COFFER_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${COFFER_SANITIZE})
endif()

set(COFFER_WARNINGS
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-qual -Wformat=2
    -Wimplicit-fallthrough -Wmissing-declarations -Wundef -Wvla -Werror)

# ASIO_SSL: the target includes Boost.Asio's SSL headers, which (in Boost
# 1.74) use OpenSSL APIs deprecated in 3.0; everywhere else those are hidden so
# our own code cannot use them.
function(_coffer_common target)
  cmake_parse_arguments(ARG "ASIO_SSL" "" "" ${ARGN})
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "INTERFACE_LIBRARY")
    return()
  endif()
  target_compile_options(${target} PRIVATE ${COFFER_WARNINGS})
  if(COFFER_TESTING)
    target_compile_definitions(${target} PRIVATE COFFER_TESTING=1)
  endif()
  if(NOT ARG_ASIO_SSL)
    target_compile_definitions(${target} PRIVATE OPENSSL_API_COMPAT=30000 OPENSSL_NO_DEPRECATED)
  endif()
endfunction()

# coffer_library(NAME policy SRCS ... DEPS ... [PUBLIC_DEPS ...] [INCLUDE dir])
# Makes coffer_<NAME> and the alias coffer::<NAME>. Without SRCS it is an
# INTERFACE (header-only) library. DEPS are public: our headers include theirs.
function(coffer_library)
  cmake_parse_arguments(ARG "ASIO_SSL" "NAME;INCLUDE" "SRCS;DEPS;PRIVATE_DEPS;DEFINES" ${ARGN})
  set(_common_flags)
  if(ARG_ASIO_SSL)
    set(_common_flags ASIO_SSL)
  endif()
  set(target coffer_${ARG_NAME})
  if(NOT ARG_INCLUDE)
    set(ARG_INCLUDE "${CMAKE_CURRENT_SOURCE_DIR}/include")
  endif()
  if(ARG_SRCS)
    add_library(${target} STATIC ${ARG_SRCS})
    target_include_directories(${target} PUBLIC "${ARG_INCLUDE}")
    target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
    target_compile_definitions(${target} PUBLIC ${ARG_DEFINES})
    _coffer_common(${target} ${_common_flags})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE "${ARG_INCLUDE}")
    target_link_libraries(${target} INTERFACE ${ARG_DEPS})
    target_compile_definitions(${target} INTERFACE ${ARG_DEFINES})
  endif()
  add_library(coffer::${ARG_NAME} ALIAS ${target})
endfunction()

# coffer_executable(NAME coffer SRCS ... DEPS ...)
function(coffer_executable)
  cmake_parse_arguments(ARG "" "NAME;OUTPUT_NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  if(ARG_OUTPUT_NAME)
    set_target_properties(${ARG_NAME} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME})
  endif()
  _coffer_common(${ARG_NAME})
endfunction()

# coffer_test(NAME x_test SRCS ... DEPS ... LABELS unit [TIMEOUT s] [NO_MAIN])
# LABELS is one of: unit, property, vectors, sim, e2e.
# One GoogleTest binary; each TEST becomes a ctest case carrying the labels.
function(coffer_test)
  if(NOT COFFER_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "NO_MAIN;ASIO_SSL" "NAME;TIMEOUT" "SRCS;DEPS;LABELS;ENVIRONMENT" ${ARGN})
  set(_common_flags)
  if(ARG_ASIO_SSL)
    set(_common_flags ASIO_SSL)
  endif()
  if(NOT ARG_LABELS)
    message(FATAL_ERROR "coffer_test(${ARG_NAME}): LABELS is required")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  if(ARG_NO_MAIN)
    target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock)
  else()
    target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock
                                              GTest::gtest_main)
  endif()
  _coffer_common(${ARG_NAME} ${_common_flags})
  target_compile_definitions(${ARG_NAME} PRIVATE
                             COFFER_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                             COFFER_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # GoogleTest discovery flattens list-valued properties, so a binary carries
  # exactly one label; split a binary when its tests belong to two suites.
  list(LENGTH ARG_LABELS _n)
  if(NOT _n EQUAL 1)
    message(FATAL_ERROR "coffer_test(${ARG_NAME}): exactly one label, got '${ARG_LABELS}'")
  endif()
  set(_props LABELS ${ARG_LABELS} TIMEOUT ${ARG_TIMEOUT})
  if(ARG_ENVIRONMENT)
    list(LENGTH ARG_ENVIRONMENT _m)
    if(NOT _m EQUAL 1)
      message(FATAL_ERROR "coffer_test(${ARG_NAME}): one ENVIRONMENT entry at most")
    endif()
    list(APPEND _props ENVIRONMENT ${ARG_ENVIRONMENT})
  endif()
  gtest_discover_tests(${ARG_NAME} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
                       PROPERTIES ${_props})
endfunction()

# coffer_script_test(NAME x COMMAND ... LABELS e2e [TIMEOUT s] [DEPENDS targets])
# A test that runs a script (real clients, real services).
function(coffer_script_test)
  if(NOT COFFER_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "COMMAND;LABELS;ENVIRONMENT" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_COMMAND})
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
                       ENVIRONMENT "COFFER_BIN=$<TARGET_FILE:coffer>;COFFER_SOURCE_DIR=${PROJECT_SOURCE_DIR};${ARG_ENVIRONMENT}")
endfunction()

# coffer_benchmark(NAME x_bench SRCS ... DEPS ...): Google Benchmark binary.
function(coffer_benchmark)
  if(NOT COFFER_BUILD_BENCH)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  _coffer_common(${ARG_NAME})
endfunction()

# coffer_fuzzer(NAME x_fuzz SRCS ... DEPS ... CORPUS dir [SECONDS n])
# A libFuzzer target, built only with COFFER_FUZZ (the fuzz preset, clang-14).
# Registers a fuzz-smoke test that runs it for a bounded time over its corpus.
function(coffer_fuzzer)
  if(NOT COFFER_FUZZ)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME;CORPUS;SECONDS" "SRCS;DEPS" ${ARGN})
  if(NOT ARG_SECONDS)
    set(ARG_SECONDS 30)
  endif()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  target_compile_options(${ARG_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_options(${ARG_NAME} PRIVATE -fsanitize=fuzzer)
  _coffer_common(${ARG_NAME})
  add_dependencies(coffer_fuzzers ${ARG_NAME})
  block()
    set(_work "${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.corpus")
    add_test(NAME ${ARG_NAME}_smoke
             COMMAND ${CMAKE_COMMAND} -E env
                     sh -c "mkdir -p '${_work}' && exec \"$0\" -max_total_time=${ARG_SECONDS} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 '${_work}' '${ARG_CORPUS}'"
                     $<TARGET_FILE:${ARG_NAME}>)
    set_tests_properties(${ARG_NAME}_smoke PROPERTIES LABELS fuzz-smoke
                         TIMEOUT ${ARG_SECONDS}0)
  endblock()
endfunction()
