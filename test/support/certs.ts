/**
 * Test certificates made with openssl: a CA, a server certificate for 127.0.0.1, a client
 * certificate signed by that CA, and a self-signed "rogue" client certificate from no known CA.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCertificates {
  /** The folder holding ca.crt, server.{crt,key}, client.{crt,key}, rogue.{crt,key}. */
  dir: string;
  ca: string;
  cert: string;
  key: string;
  clientCert: string;
  clientKey: string;
  rogueCert: string;
  rogueKey: string;
}

export function makeTestCertificates(dir: string): TestCertificates {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const selfSigned = (name: string) =>
    openssl(
      "req",
      "-x509",
      ...ec,
      "-days",
      "1",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-subj",
      `/CN=${name}`,
    );
  const signed = (name: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
    const ca = ["-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"];
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      ...ca,
      "-out",
      `${name}.crt`,
      "-days",
      "1",
      "-extfile",
      `${name}.ext`,
    );
  };
  selfSigned("ca");
  signed("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  signed("client", "extendedKeyUsage=clientAuth\n");
  selfSigned("rogue");
  const read = (n: string) => readFileSync(join(dir, n), "utf8");
  return {
    dir,
    ca: read("ca.crt"),
    cert: read("server.crt"),
    key: read("server.key"),
    clientCert: read("client.crt"),
    clientKey: read("client.key"),
    rogueCert: read("rogue.crt"),
    rogueKey: read("rogue.key"),
  };
}
