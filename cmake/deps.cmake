# Third-party dependencies, all from Debian 12 packages (see scripts/setup).
find_package(OpenSSL 3 REQUIRED)
find_package(libssh 0.10 CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb)

# CAF 0.17 ships neither a CMake config nor a .pc file: wrap it by hand.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIB caf_core REQUIRED)
find_library(CAF_IO_LIB caf_io REQUIRED)
find_library(CAF_OPENSSL_LIB caf_openssl REQUIRED)
add_library(caf INTERFACE)
target_include_directories(caf SYSTEM INTERFACE ${CAF_INCLUDE_DIR})
target_link_libraries(caf INTERFACE ${CAF_OPENSSL_LIB} ${CAF_IO_LIB} ${CAF_CORE_LIB}
                      OpenSSL::SSL OpenSSL::Crypto Threads::Threads)

find_package(Catch2 2 CONFIG REQUIRED)

# PAM for node logins (ssh_service.pam); Debian: libpam0g-dev.
find_library(PAM_LIB pam REQUIRED)
add_library(pam INTERFACE)
target_link_libraries(pam INTERFACE ${PAM_LIB})

# Web login: argon2id password hashes, TOTP (liboath), QR codes (libqrencode,
# PNG written with zlib). Debian: libargon2-dev liboath-dev libqrencode-dev zlib1g-dev.
find_library(ARGON2_LIB argon2 REQUIRED)
find_library(OATH_LIB oath REQUIRED)
find_library(QRENCODE_LIB qrencode REQUIRED)
find_package(ZLIB REQUIRED)
add_library(login_libs INTERFACE)
target_link_libraries(login_libs INTERFACE ${ARGON2_LIB} ${OATH_LIB} ${QRENCODE_LIB} ZLIB::ZLIB)
