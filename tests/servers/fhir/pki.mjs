// The test server's certificates, made with the `openssl` command at every start (Node has no API
// to issue X.509 certificates). Everything lives in the server's temp dir and dies with it.
//
// Every certificate, the CAs included, is issued by `openssl ca` with explicit -startdate and
// -enddate: Debian's OpenSSL 3.0 has no `x509 -not_before`, and one code path for all certificates
// means the expired one is made exactly like the good one except for its dates.

import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

const GOOD_SAN = 'IP:127.0.0.1, DNS:localhost';

// Extension profiles, as lines of an openssl config section.
const CA_EXT = [
  'basicConstraints = critical, CA:TRUE',
  'keyUsage = critical, keyCertSign, cRLSign',
  'subjectKeyIdentifier = hash',
];

function serverExt(san) {
  return [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = serverAuth',
    `subjectAltName = ${san}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
  ];
}

const CLIENT_EXT = [
  'basicConstraints = critical, CA:FALSE',
  'keyUsage = critical, digitalSignature',
  'extendedKeyUsage = clientAuth',
  'subjectKeyIdentifier = hash',
  'authorityKeyIdentifier = keyid',
];

/** base64(SHA-256(DER SubjectPublicKeyInfo)): the pin format of the endpoint file. Accepts a
 * private key, public key or certificate PEM. */
export function spkiPin(pem) {
  const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

function openssl(args) {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString().trim() ?? err.message}`);
  }
}

/** YYMMDDHHMMSSZ: UTCTime, the encoding RFC 5280 requires for dates before 2050. */
function asn1Time(ms) {
  const iso = new Date(ms).toISOString(); // 2026-11-29T12:34:56.789Z
  return (
    iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) +
    iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z'
  );
}

/** A certificate factory writing into `dir`. */
class Issuer {
  constructor(dir) {
    this.dir = dir;
    this.newCerts = join(dir, 'newcerts');
    mkdirSync(this.newCerts);
  }

  /** A fresh EC P-256 key; genpkey writes PKCS#8 PEM, the format the endpoint file asks for. */
  key(name) {
    const path = join(this.dir, `${name}.key`);
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
    return path;
  }

  /**
   * Issues `${name}.pem` for `key`, signed by `ca` ({cert, key, name}) or self-signed when `ca` is
   * null. `from`/`to` are epoch milliseconds.
   */
  cert({ name, key, cn, ext, ca, from, to }) {
    const caName = ca ? ca.name : name;
    const database = join(this.dir, `${caName}-index.txt`);
    const config = join(this.dir, `${name}.cnf`);
    const csr = join(this.dir, `${name}.csr`);
    const out = join(this.dir, `${name}.pem`);
    writeFileSync(database, '', { flag: 'a' });
    writeFileSync(
      config,
      [
        '[ca]', 'default_ca = this_ca',
        '[this_ca]',
        `database = ${database}`,
        `new_certs_dir = ${this.newCerts}`,
        'rand_serial = yes',
        'default_md = sha256',
        'policy = policy_any',
        'unique_subject = no',
        // Only the extensions below, never whatever a CSR asks for.
        'copy_extensions = none',
        '[policy_any]', 'commonName = supplied',
        '[req]', 'distinguished_name = dn', '[dn]',
        '[ext]', ...ext,
        '',
      ].join('\n'),
    );
    openssl(['req', '-new', '-config', config, '-key', key, '-subj', `/CN=${cn}`, '-out', csr]);
    const signer = ca ? ['-cert', ca.cert, '-keyfile', ca.key] : ['-selfsign', '-keyfile', key];
    openssl([
      'ca', '-batch', '-notext', '-config', config, '-extensions', 'ext', '-preserveDN',
      '-startdate', asn1Time(from), '-enddate', asn1Time(to),
      ...signer, '-in', csr, '-out', out,
    ]);
    return out;
  }
}

/**
 * Makes CA1, the good server key K1 and its leaf, and the backup key K2 (never served). With
 * `faults`, also the certificates of the fault listeners and an mTLS client certificate.
 *
 * Returns PEM texts (what TLS options and endpoint files want) and the CA1 file path.
 */
export function makePki(dir, { faults }) {
  const issuer = new Issuer(dir);
  const now = Date.now();
  // Backdated an hour so a client whose clock is a little behind still accepts them.
  // 90 days: longer than the client's 30-day expiry warning, so only `expiring` raises it.
  const valid = { from: now - HOUR, to: now + 90 * DAY };

  const ca1Key = issuer.key('ca1');
  const ca1 = {
    name: 'ca1',
    key: ca1Key,
    cert: issuer.cert({ name: 'ca1', key: ca1Key, cn: 'WardCam Test CA 1', ext: CA_EXT, ca: null, ...valid }),
  };
  const k1 = issuer.key('k1');
  const k2 = issuer.key('k2');
  const goodCert = issuer.cert({ name: 'good', key: k1, cn: 'localhost', ext: serverExt(GOOD_SAN), ca: ca1, ...valid });

  const read = (path) => readFileSync(path, 'utf8');
  const pki = {
    caPath: ca1.cert,
    caPem: read(ca1.cert),
    pins: [spkiPin(read(k1)), spkiPin(read(k2))],
    good: { key: read(k1), cert: read(goodCert) },
  };
  if (!faults) return pki;

  const ca2Key = issuer.key('ca2');
  const ca2 = {
    name: 'ca2',
    key: ca2Key,
    cert: issuer.cert({ name: 'ca2', key: ca2Key, cn: 'WardCam Untrusted CA 2', ext: CA_EXT, ca: null, ...valid }),
  };
  // K1 wherever the fault is not about the key, so the pin matches and only the fault differs.
  const leaf = (name, { key = k1, ca = ca1, san = GOOD_SAN, from = valid.from, to = valid.to } = {}) => ({
    key: read(key),
    cert: read(issuer.cert({ name, key, cn: san.includes('localhost') ? 'localhost' : 'wrong.example', ext: serverExt(san), ca, from, to })),
  });
  const clientKey = issuer.key('client');
  const clientCert = issuer.cert({ name: 'client', key: clientKey, cn: 'WardCam test client', ext: CLIENT_EXT, ca: ca1, ...valid });

  pki.faults = {
    unpinned: leaf('unpinned', { key: issuer.key('k3') }),
    other_ca: leaf('other_ca', { ca: ca2 }),
    expired: leaf('expired', { from: now - 10 * DAY, to: now - 5 * DAY }),
    expiring: leaf('expiring', { to: now + 10 * DAY }),
    wrong_host: leaf('wrong_host', { san: 'DNS:wrong.example' }),
  };
  pki.client = { key: read(clientKey), cert: read(clientCert) };
  return pki;
}
