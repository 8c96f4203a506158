#include "exporter/config/tls_material.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

#include "exporter/util/file_reader.hpp"
#include "exporter/util/result.hpp"

namespace kci {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Never prompts: an encrypted key has no passphrase here.
int no_passphrase(char*, int, int, void*) { return -1; }

[[noreturn]] void fail(const std::string& key, const std::string& why) {
  ERR_clear_error();  // leave no stale error for the TLS server's own calls
  throw ConfigError("web.config.file: tls_server_config." + key + ": " + why);
}

Bio memory_bio(const std::string& text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string read(const std::string& key, const std::string& path) {
  if (path.empty()) fail(key, "must be set");
  return read_config_file("web.config.file: tls_server_config." + key, path);
}

// The certificates in `text`, in order; fails when there is none or one does not parse.
std::vector<Cert> certificates(const std::string& key, const std::string& path,
                               const std::string& text) {
  Bio bio = memory_bio(text);
  std::vector<Cert> out;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr))
    out.emplace_back(x);
  // End of input after the last certificate is the normal way out; any other error (a
  // certificate block whose content does not parse) is not.
  const unsigned long err = ERR_peek_last_error();
  const bool clean_end =
      err == 0 || (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE);
  if (!clean_end) fail(key, "\"" + path + "\" holds a PEM certificate that does not parse");
  ERR_clear_error();
  if (out.empty()) fail(key, "\"" + path + "\" holds no PEM certificate");
  return out;
}

}  // namespace

void verify_tls_files(const TlsServerConfig& tls) {
  ERR_clear_error();
  const std::vector<Cert> chain =
      certificates("cert_file", tls.cert_file, read("cert_file", tls.cert_file));

  const std::string key_text = read("key_file", tls.key_file);
  Bio bio = memory_bio(key_text);
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) fail("key_file", "\"" + tls.key_file + "\" holds no unencrypted PEM private key");
  if (X509_check_private_key(chain.front().get(), key.get()) != 1)
    fail("key_file",
         "\"" + tls.key_file + "\" does not match the certificate in \"" + tls.cert_file + "\"");

  if (!tls.client_ca_file.empty())
    certificates("client_ca_file", tls.client_ca_file, read("client_ca_file", tls.client_ca_file));
  ERR_clear_error();
}

}  // namespace kci
