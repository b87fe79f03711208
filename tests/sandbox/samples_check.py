#!/usr/bin/env python3
"""Static checks of the deployment samples and docs of issue 4 (run by tests/sandbox/run.sh).

The samples cannot be deployed here, so this checks what can be checked offline:
  - samples/sam/template.yaml: YAML with CloudFormation tags; the layer, a CodeSigningConfig and
    a provided.al2023 function that uses both;
  - samples/ci/*.yml: YAML; a `sigboot sign` step with the key from a secret, a verify, an upload;
  - samples/container/Dockerfile: base image from an ARG (no registry host written here),
    /opt/bootstrap as the entrypoint, the function under /var/task;
  - samples/terraform/main.tf: `terraform fmt -check`, and `terraform validate` when a local
    provider mirror exists (TF_PLUGIN_DIR, default /opt/tf-plugins); skipped without terraform;
  - docs/troubleshooting.md covers every exit status and init/error type of README's table;
  - the relative links in the new docs point at files that exist.
Prints one line per check: "ok", "FAIL" or "skip" (run.sh counts them). Exit 0.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TAG = "samples"


def report(kind, msg):
    print("%-4s %-6s %s" % (kind, TAG, msg))


def check(ok, msg, detail=""):
    report("ok" if ok else "FAIL", msg)
    if not ok and detail:
        for line in str(detail).splitlines()[-5:]:
            print("       | " + line)


def read(rel):
    with open(os.path.join(REPO, rel)) as f:
        return f.read()


def yaml_loader():
    try:
        import yaml
    except ImportError:
        return None, None

    class CfnLoader(yaml.SafeLoader):
        pass

    def any_tag(loader, suffix, node):
        if isinstance(node, yaml.ScalarNode):
            return {"Fn::" + suffix: loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {"Fn::" + suffix: loader.construct_sequence(node)}
        return {"Fn::" + suffix: loader.construct_mapping(node)}

    CfnLoader.add_multi_constructor("!", any_tag)
    return yaml, CfnLoader


def check_sam(yaml, loader):
    try:
        t = yaml.load(read("samples/sam/template.yaml"), Loader=loader)
    except Exception as e:  # any parse error is the finding
        check(False, "SAM template parses", e)
        return
    res = t.get("Resources", {})
    by_type = {}
    for name, r in res.items():
        by_type.setdefault(r.get("Type"), []).append((name, r.get("Properties", {})))
    layers = by_type.get("AWS::Serverless::LayerVersion", [])
    cscs = by_type.get("AWS::Lambda::CodeSigningConfig", [])
    fns = by_type.get("AWS::Serverless::Function", [])
    check(t.get("Transform") == "AWS::Serverless-2016-10-31" and layers and cscs and fns,
          "SAM template: a LayerVersion, a CodeSigningConfig and a Function (SAM transform)")
    if not (layers and cscs and fns):
        return
    lname, lp = layers[0]
    cname, cp = cscs[0]
    _, fp = fns[0]
    check(str(lp.get("ContentUri", "")).endswith(".zip") and
          "provided.al2023" in lp.get("CompatibleRuntimes", []),
          "SAM layer: ContentUri is a layer zip, compatible with provided.al2023")
    check(fp.get("Runtime") == "provided.al2023" and fp.get("Handler") and
          {"Fn::Ref": lname} in fp.get("Layers", []) and
          fp.get("CodeSigningConfigArn") == {"Fn::GetAtt": cname + ".CodeSigningConfigArn"},
          "SAM function: provided.al2023, a Handler, the layer, the CodeSigningConfig")
    pol = cp.get("CodeSigningPolicies", {}).get("UntrustedArtifactOnDeployment")
    check("SigningProfileVersionArns" in cp.get("AllowedPublishers", {}) and pol is not None,
          "SAM CodeSigningConfig: AllowedPublishers and UntrustedArtifactOnDeployment")


def check_ci(yaml):
    for rel in ("samples/ci/github-actions.yml", "samples/ci/buildspec.yml"):
        text = read(rel)
        try:
            yaml.safe_load(text)
            parsed = True
        except Exception as e:
            parsed = False
            check(False, "%s parses" % rel, e)
        if parsed:
            ok = (re.search(r"sigboot sign --key \S+ --profile \S+", text) is not None and
                  "sigboot verify --config" in text and "SIGBOOT_SIGNING_KEY" in text and
                  "update-function-code" in text and "umask 077" in text)
            check(ok, "%s: key from a secret (umask 077), sigboot sign + verify, upload" % rel)


def check_dockerfile():
    text = read("samples/container/Dockerfile")
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]
    froms = [l for l in lines if l.upper().startswith("FROM ")]
    check(froms == ["FROM ${BASE_IMAGE}"] and "ARG BASE_IMAGE" in lines,
          "Dockerfile: the base image is an ARG the user sets (no registry host here)")
    check('ENTRYPOINT ["/opt/bootstrap"]' in lines and
          any(l.startswith("COPY") and l.endswith("/var/task/") for l in lines) and
          any(l.startswith("COPY") and l.endswith("/opt/") for l in lines),
          "Dockerfile: /opt/bootstrap as the entrypoint, the layer in /opt, the function in /var/task")
    hosts = re.findall(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|io|aws|org|net)\b", text)
    check(not hosts, "Dockerfile names no host", hosts)


def check_terraform():
    tf = shutil.which("terraform")
    if tf is None:
        report("skip", "terraform: not installed (fmt and validate not run)")
        return
    d = os.path.join(REPO, "samples", "terraform")
    env = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    p = subprocess.run([tf, "fmt", "-check", "-diff", d], capture_output=True, text=True, env=env)
    check(p.returncode == 0, "terraform fmt -check samples/terraform", p.stdout + p.stderr)
    plugins = os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins")
    if not os.path.isdir(plugins):
        report("skip", "terraform validate: no local provider mirror (%s)" % plugins)
        return
    with tempfile.TemporaryDirectory(prefix="sb-tf-") as tmp:
        shutil.copy(os.path.join(d, "main.tf"), tmp)
        p = subprocess.run([tf, "init", "-backend=false", "-input=false", "-plugin-dir=" + plugins],
                           cwd=tmp, capture_output=True, text=True, env=env, timeout=300)
        if p.returncode != 0:
            report("skip", "terraform validate: init with %s failed (no aws provider there?)" % plugins)
            return
        p = subprocess.run([tf, "validate", "-no-color"], cwd=tmp, capture_output=True, text=True,
                           env=env, timeout=300)
        check(p.returncode == 0, "terraform validate samples/terraform (aws provider from %s)" % plugins,
              p.stdout + p.stderr)


def check_docs():
    readme = read("README.md")
    table = readme[readme.index("### Exit statuses"):]
    table = table[:table.index("\n\n", table.index("| status"))]
    statuses, types = set(), set()
    for row in table.splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|\s*([^|]*)\|", row)
        if m and m.group(2).strip():
            statuses.add(m.group(1))
            types.update(re.findall(r"Runtime\.[A-Za-z]+", m.group(2)))
    ts = read("docs/troubleshooting.md")
    heads = set(re.findall(r"^### (\d+) ", ts, re.M))
    missing = sorted(statuses - heads - {"0"}) + sorted(t for t in types if t not in ts)
    check(statuses and not missing,
          "troubleshooting.md covers README's exit statuses %s and types %s" %
          (",".join(sorted(statuses, key=int)), ",".join(sorted(types))), "missing: %s" % missing)
    bad = []
    for rel in ("docs/deploy.md", "docs/rotation.md", "docs/threat-model.md",
                "docs/troubleshooting.md", "layer/README.md"):
        base = os.path.dirname(os.path.join(REPO, rel))
        for link in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", read(rel)):
            if "://" not in link and not os.path.exists(os.path.join(base, link)):
                bad.append("%s -> %s" % (rel, link))
    check(not bad, "relative links in the layer docs resolve", "\n".join(bad))


def main():
    yaml, loader = yaml_loader()
    if yaml is None:
        report("skip", "YAML samples: no PyYAML for %s" % sys.executable)
    else:
        check_sam(yaml, loader)
        check_ci(yaml)
    check_dockerfile()
    check_terraform()
    check_docs()
    return 0


if __name__ == "__main__":
    sys.exit(main())
