import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A certificate and its private key, as PEM files. */
export interface CertificateFiles {
  cert: string;
  key: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function newKeyAndRequest(dir: string, name: string, subject: string): { key: string; request: string } {
  const key = join(dir, `${name}.key`);
  const request = join(dir, `${name}.csr`);
  openssl(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-keyout',
      key,
      '-out',
      request,
      '-subj',
      subject,
    ]),
  );
  return { key, request };
}

/** A self-signed certificate authority, valid for a day. */
export function createCertificateAuthority(dir: string, name: string): CertificateFiles {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'].concat([
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      `/CN=${name}`,
    ]),
  );
  return { cert, key };
}

/**
 * An X.509 v3 certificate issued by `ca` (rustls, under Temporal's worker connection, refuses v1): a
 * server certificate for localhost and 127.0.0.1, or a client certificate.
 */
export function issueCertificate(
  dir: string,
  ca: CertificateFiles,
  name: string,
  use: 'server' | 'client',
): CertificateFiles {
  const { key, request } = newKeyAndRequest(dir, name, `/CN=${name}`);
  const extensions = join(dir, `${name}.ext`);
  writeFileSync(
    extensions,
    use === 'server'
      ? 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'
      : 'extendedKeyUsage=clientAuth\n',
  );
  const cert = join(dir, `${name}.pem`);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      request,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-CAcreateserial',
      '-days',
      '1',
    ].concat(['-out', cert, '-extfile', extensions]),
  );
  return { cert, key };
}
