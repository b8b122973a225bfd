# Finds every third-party dependency. All of them come from Debian packages that
# tools/install-deps installs; nothing is downloaded or vendored.

find_package(PkgConfig REQUIRED)

# Botan 2 ships only a pkg-config file.
pkg_check_modules(BOTAN2 REQUIRED IMPORTED_TARGET botan-2)
# libsodium for Ed25519: strict verification rules and the faster verifier (crypto/signing.cpp).
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium>=1.0.16)

# Cap'n Proto: needs the C language enabled (it probes for libatomic with C).
find_package(CapnProto CONFIG REQUIRED)

find_package(SQLite3 REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
# toml++ (covenant-node's config file): Debian's package is the compiled library with a CMake
# config, target tomlplusplus::tomlplusplus, header <toml++/toml.h>.
find_package(tomlplusplus CONFIG REQUIRED)
# cpp-httplib (the client gateway's HTTP API): Debian builds it as a library with a .pc file.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
find_package(Boost 1.74 REQUIRED COMPONENTS unit_test_framework)
find_package(Threads REQUIRED)
# tcmalloc (gperftools' minimal build) as the allocator of covenant-node and covenant-bench:
# a node allocates and frees many small buffers per request from several scheduler threads,
# and glibc's malloc made that a tenth of a miner's CPU (docs/benchmarks.md). Tests keep
# glibc's malloc.
pkg_check_modules(TCMALLOC REQUIRED IMPORTED_TARGET libtcmalloc_minimal)

# CAF 0.17.6 on Debian ships neither a CMake config nor a .pc file: build the
# imported targets by hand.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
find_library(CAF_IO_LIBRARY caf_io REQUIRED)
add_library(caf::core SHARED IMPORTED)
set_target_properties(caf::core PROPERTIES
  IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES Threads::Threads)
add_library(caf::io SHARED IMPORTED)
set_target_properties(caf::io PROPERTIES
  IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
  INTERFACE_LINK_LIBRARIES caf::core)
