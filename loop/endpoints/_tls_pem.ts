/** PEM checks and `node:tls` contexts for the TLS unit, made once per options object. */

import { createSecureContext, rootCertificates, type SecureContext } from "node:tls";
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";

/** The PEM fields of TLS options: a certificate and key, and extra CAs to trust. */
export interface PemOptions {
  cert?: string;
  key?: string;
  caCerts?: string[];
}

/** Options already checked: a loop method is called with the same options many times. */
const checked = new WeakSet<object>();
const contexts = new WeakMap<object, SecureContext>();

function parse<T>(parser: () => T, method: string, name: string, what: string): T {
  try {
    return parser();
  } catch (err) {
    throw new TypeError(`${method}: '${name}' is not a PEM ${what}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Parses every PEM of `options` (`name` is the argument's name, `ssl` or
 * `tls`), so that a bad one is an error naming it rather than a handshake
 * failure blamed on the peer: a `TypeError` for what is not PEM, a
 * `RangeError` for a key that does not belong to the certificate.
 *
 * @throws {TypeError} A field is not a PEM certificate or key.
 * @throws {RangeError} `key` is not the private key of `cert`.
 */
export function checkPemOptions(options: PemOptions, method: string, name: string): void {
  if (checked.has(options)) return;
  const { cert, key, caCerts } = options;
  if (cert !== undefined && key !== undefined) {
    const certificate = parse(
      () => new X509Certificate(cert),
      method,
      `${name}.cert`,
      "certificate",
    );
    const privateKey: KeyObject = parse(
      () => createPrivateKey(key),
      method,
      `${name}.key`,
      "private key",
    );
    if (!certificate.checkPrivateKey(privateKey)) {
      throw new RangeError(
        `${method}: '${name}.key' is not the private key of the certificate in '${name}.cert'`,
      );
    }
  }
  caCerts?.forEach((ca, i) =>
    parse(() => new X509Certificate(ca), method, `${name}.caCerts[${i}]`, "certificate")
  );
  checked.add(options);
}

/** The `node:tls` context of checked options: their certificate, the system roots plus `caCerts`. */
export function secureContext(options: PemOptions): SecureContext {
  const known = contexts.get(options);
  if (known !== undefined) return known;
  const { cert, key, caCerts } = options;
  const context = createSecureContext({
    cert,
    key,
    ca: caCerts === undefined ? undefined : [...rootCertificates, ...caCerts],
  });
  contexts.set(options, context);
  return context;
}
