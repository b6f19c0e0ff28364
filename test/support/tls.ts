// A throwaway certificate authority for TLS tests (etcd, gRPC): a CA, a
// server certificate valid for 127.0.0.1 and localhost, and a client
// certificate, all made with openssl in a temp directory the test removes.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExternalToolError } from "./debian-packages.js";

const OPENSSL = "/usr/bin/openssl";
/** Long enough for any test run, short enough that a leaked key is worthless soon. */
const VALID_DAYS = 2;
/** Bound of one openssl run. */
const OPENSSL_TIMEOUT_MS = 30_000;

/** PEM files of a test CA and the certificates it signed. */
export interface TestCertificates {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** Removes the directory. */
  cleanup(): void;
}

function openssl(args: string[]): void {
  const r = spawnSync(OPENSSL, args, { encoding: "utf8", timeout: OPENSSL_TIMEOUT_MS });
  if (r.error !== undefined || r.status !== 0) {
    throw new ExternalToolError({
      tool: "openssl",
      action: args.slice(0, 2).join(" "),
      detail: r.error?.message ?? `exit status ${r.status}: ${r.stderr}`,
    });
  }
}

function serial(): string {
  // Positive, so the first byte's high bit is clear.
  const b = randomBytes(8);
  b[0] &= 0x7f;
  return `0x${b.toString("hex")}`;
}

/** Makes a CA, a server certificate (IP SAN 127.0.0.1, DNS SAN localhost) and a client certificate. */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "m3ts-tls-"));
  const path = (name: string) => join(dir, name);
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  try {
    openssl([
      "req",
      "-x509",
      ...ecKey,
      "-keyout",
      path("ca.key"),
      "-out",
      path("ca.crt"),
      "-subj",
      "/CN=m3ts test CA",
      "-days",
      String(VALID_DAYS),
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    const issue = (name: string, cn: string, extensions: string) => {
      openssl([
        "req",
        "-new",
        ...ecKey,
        "-keyout",
        path(`${name}.key`),
        "-out",
        path(`${name}.csr`),
        "-subj",
        `/CN=${cn}`,
      ]);
      writeFileSync(path(`${name}.ext`), extensions);
      openssl([
        "x509",
        "-req",
        "-in",
        path(`${name}.csr`),
        "-CA",
        path("ca.crt"),
        "-CAkey",
        path("ca.key"),
        "-set_serial",
        serial(),
        "-days",
        String(VALID_DAYS),
        "-extfile",
        path(`${name}.ext`),
        "-out",
        path(`${name}.crt`),
      ]);
    };
    const leaf = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n";
    // etcd also dials itself with the server certificate, so it serves both roles.
    issue(
      "server",
      "127.0.0.1",
      `${leaf}extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n`,
    );
    issue("client", "m3ts test client", `${leaf}extendedKeyUsage=clientAuth\n`);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dir,
    caFile: path("ca.crt"),
    serverCertFile: path("server.crt"),
    serverKeyFile: path("server.key"),
    clientCertFile: path("client.crt"),
    clientKeyFile: path("client.key"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
