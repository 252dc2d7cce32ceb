/**
 * Throwaway certificates for tests that serve or call TLS on 127.0.0.1 (the smoke check's public URL, the API
 * server suite): a CA, and certificates signed by it, made with the openssl CLI (Debian package `openssl`;
 * .ci/run installs it). A missing openssl fails, never skips.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: "pipe" });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === "ENOENT") throw new Error("openssl is not installed: apt-get install openssl");
    throw new Error(`openssl ${args.join(" ")}: ${err.stderr?.toString() ?? err.message}`);
  }
}

/** `<dir>/ca.key` and `<dir>/ca.crt`, a self-signed CA named `cn`, valid `days`. */
export function makeCa(dir: string, cn: string, days: number): void {
  openssl(
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt"].concat([
      "-days",
      String(days),
      "-subj",
      `/CN=${cn}`,
    ]),
    dir,
  );
}

/**
 * `<dir>/<name>.key` and `<dir>/<name>.crt` for `subject` (e.g. `/CN=kube-apiserver`), signed by the CA in
 * `dir`, valid `days`; `subjectAltName` (e.g. `IP:127.0.0.1`) makes it a serving certificate for those names.
 */
export function signedCert(
  dir: string,
  name: string,
  i: { subject: string; days: number; subjectAltName?: string },
): void {
  openssl(
    [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      i.subject,
    ],
    dir,
  );
  const ext = i.subjectAltName ? [`${name}.ext`] : [];
  if (i.subjectAltName)
    fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${i.subjectAltName}\n`);
  openssl(
    ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"]
      .concat(["-out", `${name}.crt`, "-days", String(i.days)])
      .concat(ext.length ? ["-extfile", ext[0]!] : []),
    dir,
  );
}

/** `<dir>/<name>.key` and `<dir>/<name>.pub`: an RSA key pair (a service-account signing key). */
export function keyPair(dir: string, name: string): void {
  openssl(["genrsa", "-out", `${name}.key`, "2048"], dir);
  openssl(["rsa", "-in", `${name}.key`, "-pubout", "-out", `${name}.pub`], dir);
}
