// Small RAII and error helpers shared by the OpenSSL-based files of transport/.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace tp::transport::ossl {

template <class T, void (*Free)(T*)>
struct deleter {
  void operator()(T* p) const noexcept { Free(p); }
};

using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using x509_name_ptr = std::unique_ptr<X509_NAME, deleter<X509_NAME, X509_NAME_free>>;
using x509_store_ptr = std::unique_ptr<X509_STORE, deleter<X509_STORE, X509_STORE_free>>;
using x509_store_ctx_ptr =
    std::unique_ptr<X509_STORE_CTX, deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using x509_ext_ptr = std::unique_ptr<X509_EXTENSION, deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using asn1_integer_ptr = std::unique_ptr<ASN1_INTEGER, deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using bignum_ptr = std::unique_ptr<BIGNUM, deleter<BIGNUM, BN_free>>;

void free_general_names(GENERAL_NAMES* names);
using general_names_ptr =
    std::unique_ptr<GENERAL_NAMES, deleter<GENERAL_NAMES, free_general_names>>;

// Drains OpenSSL's thread-local error queue into one readable string, so an
// old error never leaks into the next operation's message.
std::string drain_errors();

// "<what>: <openssl errors>" (or just <what> when the queue is empty).
error openssl_error(std::string_view what);

// A read-only memory BIO over `data` (which must outlive the BIO).
bio_ptr memory_bio(std::string_view data);

// Everything written to a memory BIO so far.
std::string bio_contents(BIO* bio);

}  // namespace tp::transport::ossl
