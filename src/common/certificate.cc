// RAII over OpenSSL's EVP_PKEY, X509 and BIO for making and reading agent certificates; the
// only place outside tls.cc that includes OpenSSL's X.509 API.
#include "common/certificate.hh"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <span>

#include "common/ascii.hh"
#include "common/tls.hh"

namespace muster {
namespace {

template <auto Free>
struct Deleter {
    template <class T>
    void operator()(T* p) const {
        Free(p);
    }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using EkuPtr = std::unique_ptr<EXTENDED_KEY_USAGE, Deleter<EXTENDED_KEY_USAGE_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME_free>>;

Error openssl_error(const std::string& what) {
    std::string detail = tls_take_error_text();
    return make_error(detail.empty() ? what : what + ": " + detail);
}

BioPtr memory_bio(std::string_view text) {
    return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

Result<PkeyPtr> generate_p256_key() {
    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key)
        return openssl_error("cannot generate an ECDSA P-256 key");
    return key;
}

Result<std::string> key_to_pem(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    // SEC 1 "EC PRIVATE KEY", as Consul writes it and its ParseSigner demands.
    if (!bio || PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                                     nullptr) != 1)
        return openssl_error("cannot encode the private key");
    return bio_text(bio.get());
}

Result<std::string> cert_to_pem(X509* cert) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
        return openssl_error("cannot encode the certificate");
    return bio_text(bio.get());
}

// The first PEM object of its kind in `pem`.
template <class Ptr, auto Read>
Result<Ptr> parse_pem(std::string_view pem, const char* what) {
    BioPtr bio = memory_bio(pem);
    Ptr out(bio ? Read(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!out)
        return openssl_error(std::string("not a PEM ") + what);
    return out;
}

Result<X509Ptr> parse_cert(std::string_view pem) {
    return parse_pem<X509Ptr, PEM_read_bio_X509>(pem, "certificate");
}

Result<PkeyPtr> parse_key(std::string_view pem) {
    return parse_pem<PkeyPtr, PEM_read_bio_PrivateKey>(pem, "private key");
}

// RFC 5280 §4.1.2.2: positive, at most 20 octets; 128 random bits as Consul.
Result<void> set_random_serial(X509* cert) {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return openssl_error("no random serial number");
    BnPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
    if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr)
        return openssl_error("cannot set the serial number");
    return {};
}

Result<void> set_validity(X509* cert, std::chrono::system_clock::time_point not_before,
                          std::chrono::days validity) {
    if (validity.count() <= 0)
        return make_error("the validity must be at least one day");
    time_t start = std::chrono::system_clock::to_time_t(not_before);
    if (X509_time_adj_ex(X509_getm_notBefore(cert), 0, 0, &start) == nullptr ||
        X509_time_adj_ex(X509_getm_notAfter(cert), static_cast<int>(validity.count()), 0, &start) ==
            nullptr)
        return openssl_error("cannot set the validity");
    return {};
}

// An extension in OpenSSL's configuration syntax; only fixed texts of this file, never user
// input (names go through add_subject_alt_names).
struct Extension {
    int nid;
    const char* value;
};

Result<void> add_ext(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
        return openssl_error(std::string("cannot add ") + OBJ_nid2sn(nid) + " " + value);
    return {};
}

// RFC 5280 §4.2.1.9 and §4.2.1.3: a CA says so, critically; the subject key identifier goes
// before the authority key identifier, which copies it in a self-signed certificate (§4.2.1.1).
constexpr Extension ca_extensions[] = {
    {NID_basic_constraints, "critical,CA:TRUE"},
    {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"},
    {NID_subject_key_identifier, "hash"},
    {NID_authority_key_identifier, "keyid:always"},
};
// Consul's leaves: keyEncipherment too, though an ECDSA key never uses it.
constexpr Extension leaf_extensions[] = {
    {NID_basic_constraints, "critical,CA:FALSE"},
    {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
    {NID_subject_key_identifier, "hash"},
    {NID_authority_key_identifier, "keyid:always"},
};

// An unsigned version 3 certificate for `key`: random serial, the spec's CN and validity,
// issued by `issuer` (nullptr: by itself), with `extensions` in that order.
template <class Spec>
Result<X509Ptr> build_cert(EVP_PKEY* key, X509* issuer, const Spec& subject,
                           std::span<const Extension> extensions) {
    if (subject.common_name.empty())
        return make_error("the certificate needs a common name");
    X509Ptr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1)
        return openssl_error("cannot make a certificate");
    X509* x = cert.get();
    if (auto r = set_random_serial(x); !r)
        return r.error();
    if (auto r = set_validity(x, subject.not_before, subject.validity); !r)
        return r.error();
    X509_NAME* name = X509_get_subject_name(x);
    const auto* cn = reinterpret_cast<const unsigned char*>(subject.common_name.c_str());
    if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, cn, -1, -1, 0) != 1 ||
        X509_set_pubkey(x, key) != 1)
        return openssl_error("cannot set the subject");
    X509* signer = issuer != nullptr ? issuer : x;
    if (X509_set_issuer_name(x, X509_get_subject_name(signer)) != 1)
        return openssl_error("cannot set the issuer");
    for (const Extension& ext : extensions)
        if (auto r = add_ext(x, signer, ext.nid, ext.value); !r)
            return r.error();
    return cert;
}

// A host name as a dNSName may hold it (RFC 5280 §4.2.1.6, RFC 1123 letters, digits, hyphens
// and dots; a leading "*." wildcard and underscores as some operators use them).
bool is_host_name(std::string_view name) {
    if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.')
        return false;
    if (name.starts_with("*."))
        name.remove_prefix(2);
    for (char c : name) {
        bool ok = ascii::is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '-' || c == '.' || c == '_';
        if (!ok)
            return false;
    }
    return name.find("..") == std::string_view::npos;
}

Result<void> push_name(GENERAL_NAMES* names, int type, ASN1_STRING* value) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (name == nullptr || value == nullptr) {
        GENERAL_NAME_free(name);
        ASN1_STRING_free(value);
        return openssl_error("out of memory");
    }
    GENERAL_NAME_set0_value(name, type, value);
    if (sk_GENERAL_NAME_push(names, name) == 0) {
        GENERAL_NAME_free(name);
        return openssl_error("out of memory");
    }
    return {};
}

// Built as structures, not as configuration text, so no name can smuggle in another entry.
Result<void> add_subject_alt_names(X509* cert, const LeafSpec& spec) {
    if (spec.dns_names.empty() && spec.ip_addresses.empty())
        return {};
    NamesPtr names(sk_GENERAL_NAME_new_null());
    for (const std::string& dns : spec.dns_names) {
        if (!is_host_name(dns))
            return make_error("not a host name: \"" + dns + "\"");
        ASN1_IA5STRING* text = ASN1_IA5STRING_new();
        if (text != nullptr &&
            ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size())) != 1) {
            ASN1_STRING_free(text);
            text = nullptr;  // push_name reports it
        }
        if (auto r = push_name(names.get(), GEN_DNS, text); !r)
            return r;
    }
    for (const std::string& ip : spec.ip_addresses) {
        ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
        if (octets == nullptr) {
            ERR_clear_error();
            return make_error("not an IP address: \"" + ip + "\"");
        }
        if (auto r = push_name(names.get(), GEN_IPADD, octets); !r)
            return r;
    }
    if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
        return openssl_error("cannot add the subjectAltName");
    return {};
}

const char* eku_text(const std::vector<ExtendedKeyUsage>& usages) {
    bool server = false, client = false;
    for (ExtendedKeyUsage u : usages)
        (u == ExtendedKeyUsage::server_auth ? server : client) = true;
    if (server && client)
        return "serverAuth,clientAuth";
    return server ? "serverAuth" : client ? "clientAuth" : nullptr;
}

Result<PemCertificate> sign_and_encode(X509* cert, EVP_PKEY* signer, EVP_PKEY* key) {
    if (X509_sign(cert, signer, EVP_sha256()) == 0)
        return openssl_error("cannot sign the certificate");
    auto cert_pem = cert_to_pem(cert);
    if (!cert_pem)
        return cert_pem.error();
    auto key_pem = key_to_pem(key);
    if (!key_pem)
        return key_pem.error();
    return PemCertificate{.cert_pem = std::move(*cert_pem), .key_pem = std::move(*key_pem)};
}

std::string hex(const ASN1_OCTET_STRING* octets) {
    std::string out;
    if (octets == nullptr)
        return out;
    const unsigned char* data = ASN1_STRING_get0_data(octets);
    for (int i = 0; i < ASN1_STRING_length(octets); ++i) {
        out += ascii::hex_digit_upper(data[i] >> 4);
        out += ascii::hex_digit_upper(data[i]);
    }
    return out;
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* time) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(time, &tm) != 1)
        return {};
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

void read_alt_names(X509* cert, CertificateInfo& info) {
    NamesPtr names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
        if (name->type == GEN_DNS) {
            const ASN1_IA5STRING* s = name->d.dNSName;
            info.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                        static_cast<size_t>(ASN1_STRING_length(s)));
        } else if (name->type == GEN_IPADD) {
            const ASN1_OCTET_STRING* s = name->d.iPAddress;
            int len = ASN1_STRING_length(s);
            char text[INET6_ADDRSTRLEN] = {};
            if ((len == 4 || len == 16) && inet_ntop(len == 4 ? AF_INET : AF_INET6,
                                                     ASN1_STRING_get0_data(s), text, sizeof text))
                info.ip_addresses.emplace_back(text);
        }
    }
}

void read_usages(X509* cert, CertificateInfo& info) {
    uint32_t flags = X509_get_extension_flags(cert);  // also makes OpenSSL cache the extensions
    info.is_ca = (flags & EXFLAG_CA) != 0;
    uint32_t ku = X509_get_key_usage(cert);
    if ((flags & EXFLAG_KUSAGE) != 0) {
        constexpr std::pair<uint32_t, const char*> names[] = {
            {KU_DIGITAL_SIGNATURE, "digitalSignature"},
            {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
            {KU_KEY_AGREEMENT, "keyAgreement"},
            {KU_KEY_CERT_SIGN, "keyCertSign"},
            {KU_CRL_SIGN, "cRLSign"},
        };
        for (const auto& [bit, name] : names)
            if ((ku & bit) != 0)
                info.key_usage.emplace_back(name);
    }
    EkuPtr eku(static_cast<EXTENDED_KEY_USAGE*>(
        X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr)));
    for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
        int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i));
        if (nid == NID_server_auth)
            info.extended_key_usage.push_back(ExtendedKeyUsage::server_auth);
        else if (nid == NID_client_auth)
            info.extended_key_usage.push_back(ExtendedKeyUsage::client_auth);
    }
}

// Consul's "Consul Agent CA <serial>": CAs made one after another never share a subject name,
// so a verifier holding the old and the new CA during a rotation cannot confuse them.
Result<void> name_after_serial(X509* cert, const std::string& common_name) {
    BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
    char* decimal = serial ? BN_bn2dec(serial.get()) : nullptr;
    if (decimal == nullptr)
        return openssl_error("cannot read the serial number");
    const std::string cn = common_name + " " + decimal;
    OPENSSL_free(decimal);
    NamePtr name(X509_NAME_new());
    const auto* text = reinterpret_cast<const unsigned char*>(cn.c_str());
    if (!name ||
        X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8, text, -1, -1, 0) !=
            1 ||
        X509_set_subject_name(cert, name.get()) != 1 || X509_set_issuer_name(cert, name.get()) != 1)
        return openssl_error("cannot set the subject");
    return {};
}

}  // namespace

Result<PemCertificate> create_ca(const CaSpec& spec) {
    ERR_clear_error();
    auto key = generate_p256_key();
    if (!key)
        return key.error();
    auto cert = build_cert(key->get(), nullptr, spec, ca_extensions);
    if (!cert)
        return cert.error();
    if (auto r = name_after_serial(cert->get(), spec.common_name); !r)
        return r.error();
    return sign_and_encode(cert->get(), key->get(), key->get());
}

Result<PemCertificate> create_leaf(const PemCertificate& ca, const LeafSpec& spec) {
    ERR_clear_error();
    auto ca_cert = parse_cert(ca.cert_pem);
    if (!ca_cert)
        return make_error("CA certificate: " + ca_cert.error().message);
    auto ca_key = parse_key(ca.key_pem);
    if (!ca_key)
        return make_error("CA key: " + ca_key.error().message);
    if (X509_check_private_key(ca_cert->get(), ca_key->get()) != 1) {
        ERR_clear_error();
        return make_error("the CA key does not belong to the CA certificate");
    }
    auto key = generate_p256_key();
    if (!key)
        return key.error();
    auto cert = build_cert(key->get(), ca_cert->get(), spec, leaf_extensions);
    if (!cert)
        return cert.error();
    X509* x = cert->get();
    if (const char* eku = eku_text(spec.extended_key_usage))
        if (auto r = add_ext(x, ca_cert->get(), NID_ext_key_usage, eku); !r)
            return r.error();
    if (auto r = add_subject_alt_names(x, spec); !r)
        return r.error();
    return sign_and_encode(x, ca_key->get(), key->get());
}

Result<CertificateInfo> inspect_certificate(std::string_view cert_pem) {
    ERR_clear_error();
    auto cert = parse_cert(cert_pem);
    if (!cert)
        return cert.error();
    X509* x = cert->get();
    CertificateInfo info;
    char cn[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn) > 0)
        info.common_name = cn;
    BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr));
    if (char* text = serial ? BN_bn2hex(serial.get()) : nullptr) {
        info.serial_hex = text;
        OPENSSL_free(text);
    }
    if (EVP_PKEY* pub = X509_get0_pubkey(x)) {
        char group[64] = {};
        if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           nullptr) == 1)
            info.key_group = group;
    }
    info.not_before = to_time_point(X509_get0_notBefore(x));
    info.not_after = to_time_point(X509_get0_notAfter(x));
    read_alt_names(x, info);
    read_usages(x, info);
    info.subject_key_id = hex(X509_get0_subject_key_id(x));
    info.authority_key_id = hex(X509_get0_authority_key_id(x));
    ERR_clear_error();
    return info;
}

Result<void> verify_certificate(std::string_view ca_pem, std::string_view cert_pem,
                                std::string_view host_name) {
    ERR_clear_error();
    auto ca = parse_cert(ca_pem);
    if (!ca)
        return make_error("CA certificate: " + ca.error().message);
    auto cert = parse_cert(cert_pem);
    if (!cert)
        return cert.error();
    StorePtr store(X509_STORE_new());
    StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!store || !ctx || X509_STORE_add_cert(store.get(), ca->get()) != 1 ||
        X509_STORE_CTX_init(ctx.get(), store.get(), cert->get(), nullptr) != 1)
        return openssl_error("cannot set up the verification");
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
    // OpenSSL takes a length of 0 as "NUL-terminated" and would read past a view's end.
    if (host_name.empty())
        return make_error("no host name to check the certificate for");
    // OpenSSL takes ".example" as "any name under example": that is not one host's name.
    // ... and drops a final NUL: "localhost\0" would pass for "localhost".
    if (host_name.front() == '.' || host_name.find('\0') != std::string_view::npos)
        return make_error("\"" + std::string(host_name) + "\" is not a host name");
    if (X509_VERIFY_PARAM_set1_host(param, host_name.data(), host_name.size()) != 1)
        return openssl_error("cannot set the host name to check");
    if (X509_verify_cert(ctx.get()) != 1) {
        int code = X509_STORE_CTX_get_error(ctx.get());
        ERR_clear_error();
        return make_error(std::string("certificate verification failed: ") +
                          X509_verify_cert_error_string(code));
    }
    return {};
}

}  // namespace muster
