# Every dependency is a Debian 12 package (scripts/install-deps.sh installs
# them). Nothing is vendored or downloaded at configure time.

find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(tomlplusplus 3 REQUIRED)
find_package(pugixml REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(ISAL REQUIRED IMPORTED_TARGET libisal)

if(COFFER_BUILD_TESTS)
  find_package(GTest REQUIRED)
  find_package(rapidcheck REQUIRED)
endif()
if(COFFER_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# toml++ is used header-only and without exceptions (STYLE: no exception
# crosses a library API). Debian's imported target also adds
# -DTOML_HEADER_ONLY=0 (it describes its prebuilt, exception-enabled library),
# which would clash under -Werror, so only its include directory is taken.
if(NOT TARGET coffer_tomlplusplus)
  get_target_property(_toml_include tomlplusplus::tomlplusplus INTERFACE_INCLUDE_DIRECTORIES)
  add_library(coffer_tomlplusplus INTERFACE)
  target_include_directories(coffer_tomlplusplus SYSTEM INTERFACE ${_toml_include})
  target_compile_definitions(coffer_tomlplusplus INTERFACE TOML_HEADER_ONLY=1 TOML_EXCEPTIONS=0)
  add_library(coffer::tomlplusplus ALIAS coffer_tomlplusplus)
endif()
