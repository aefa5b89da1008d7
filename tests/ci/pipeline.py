#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run a GitHub Actions workflow or a GitLab CI pipeline's jobs here.

  pipeline.py github WORKFLOW.yml REPO WORK [--env K=V]...
  pipeline.py gitlab GITLAB-CI.yml REPO WORK [--env K=V] [--cache KEY=DIR]...

Parses the YAML as the CI would, and runs each job's own commands, in the
order the CI would, in a workspace of its own (WORK/jobs/NAME: REPO's
files, linked): the run: steps and script: lines verbatim with the
environment the CI gives them (workflow, job and step env; matrix values;
${{ }} expressions; GitLab variables, extends, parallel:matrix and child
pipelines).  What only a CI service does is done by hand: artifacts are
copied between the workspaces (upload-artifact/download-artifact, GitLab
artifacts:paths of the earlier stages), caches are a shared directory,
checkout links the repository, and JUnit reports are parsed.  --env
overrides a top-level env/variables value (a smaller matrix).

Prints a line per job and writes WORK/summary.json: each job's name,
result (success, failure, skipped) and the JUnit files it published with
their counts.  Exit status: 0 the pipeline ran (whatever the jobs said),
2 the YAML is not what this runner reads.
"""
import fnmatch
import glob
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import yaml


class Bad(Exception):
    pass


def link_repo(repo, ws):
    """A job's workspace: the repository's top-level entries, linked."""
    os.makedirs(ws, exist_ok=True)
    for e in os.listdir(repo):
        if e in (".git",):
            continue
        dst = os.path.join(ws, e)
        if not os.path.lexists(dst):
            os.symlink(os.path.join(repo, e), dst)


def copy_into(src, dst):
    if os.path.isdir(src):
        shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
        shutil.copy2(src, dst)


def junit_counts(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    out = {"file": path, "suites": [], "tests": 0, "failures": 0, "errors": 0}
    for s in suites:
        out["suites"].append(s.get("name"))
        for k in ("tests", "failures", "errors"):
            out[k] += int(s.get(k, "0"))
    out["system_out"] = [so.text or "" for so in root.iter("system-out")]
    return out


def run_bash(script, env, cwd, log):
    with open(log, "w") as f:
        p = subprocess.run(["bash", "-e", "-c", script], env=env, cwd=cwd,
                           stdout=f, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL)
    return p.returncode


# ---- GitHub Actions --------------------------------------------------------

TOKEN = re.compile(r"\s*(?:(\d+)|'((?:[^']|'')*)'|(&&|\|\||==|!=|!|\(|\)|,)"
                   r"|([A-Za-z_][A-Za-z0-9_.\-*]*))")


class Expr:
    """The part of GitHub's expression language workflows use."""

    def __init__(self, ctx):
        self.ctx = ctx

    def eval(self, text):
        self.toks = []
        pos = 0
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if not m or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise Bad("expression %r: cannot read at %r" % (text, text[pos:]))
            pos = m.end()
            if m.group(1) is not None:
                self.toks.append(("lit", m.group(1)))
            elif m.group(2) is not None:
                self.toks.append(("lit", m.group(2).replace("''", "'")))
            elif m.group(3):
                self.toks.append(("op", m.group(3)))
            else:
                self.toks.append(("id", m.group(4)))
        self.i = 0
        v = self.orx()
        if self.i != len(self.toks):
            raise Bad("expression %r: trailing tokens" % text)
        return v

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, op):
        if self.peek() == ("op", op):
            self.i += 1
            return True
        return False

    def orx(self):
        v = self.andx()
        while self.take("||"):
            r = self.andx()
            v = v or r
        return v

    def andx(self):
        v = self.cmp()
        while self.take("&&"):
            r = self.cmp()
            v = v and r
        return v

    def cmp(self):
        v = self.unary()
        if self.take("=="):
            return str(v) == str(self.unary())
        if self.take("!="):
            return str(v) != str(self.unary())
        return v

    def unary(self):
        if self.take("!"):
            return not self.unary()
        if self.take("("):
            v = self.orx()
            if not self.take(")"):
                raise Bad("expression: ')' expected")
            return v
        kind, val = self.peek()
        self.i += 1
        if kind == "lit":
            return val
        if kind != "id":
            raise Bad("expression: unexpected %r" % (val,))
        if self.take("("):
            args = []
            if not self.take(")"):
                args.append(self.orx())
                while self.take(","):
                    args.append(self.orx())
                if not self.take(")"):
                    raise Bad("expression: ')' expected")
            return self.call(val, args)
        return self.lookup(val)

    def call(self, name, args):
        st = self.ctx["status"]
        if name == "always":
            return True
        if name == "success":
            return st
        if name == "failure":
            return not st
        if name == "cancelled":
            return False
        if name == "fromJSON":
            return json.loads(args[0])
        if name == "hashFiles":
            return "hash"
        raise Bad("expression: unknown function %s()" % name)

    def lookup(self, path):
        v = self.ctx
        for part in path.split("."):
            if isinstance(v, dict):
                v = v.get(part, "")
            else:
                return ""
        return v


def subst(text, ctx):
    """A string with its ${{ }} expressions replaced."""
    if not isinstance(text, str):
        return text
    m = re.fullmatch(r"\s*\$\{\{(.*?)\}\}\s*", text, re.S)
    if m:  # a whole value: keep its type (matrix: fromJSON)
        return Expr(ctx).eval(m.group(1))
    return re.sub(r"\$\{\{(.*?)\}\}",
                  lambda m: str(Expr(ctx).eval(m.group(1))), text)


def condition(cond, ctx):
    if cond is None:
        return ctx["status"]
    c = cond.strip()
    if c.startswith("${{"):
        c = c[3:].rstrip()[:-2]
    if not re.search(r"\b(always|success|failure|cancelled)\(", c):
        c = "success() && (%s)" % c
    return bool(Expr(ctx).eval(c))


def github(wf_path, repo, work, env_over, caches):
    wf = yaml.safe_load(open(wf_path))
    jobs = wf.get("jobs")
    if not isinstance(jobs, dict):
        raise Bad("%s: no jobs" % wf_path)
    wenv = {k: str(v) for k, v in (wf.get("env") or {}).items()}
    wenv.update(env_over)
    store = os.path.join(work, "artifacts")
    os.makedirs(store, exist_ok=True)
    done, results, summary = {}, {}, []
    order = []
    while len(order) < len(jobs):
        ready = [j for j in jobs if j not in order and all(
            n in order for n in as_list(jobs[j].get("needs")))]
        if not ready:
            raise Bad("%s: needs form a cycle" % wf_path)
        order += ready
    for name in order:
        job = jobs[name]
        needs = as_list(job.get("needs"))
        ctx = {"needs": {n: done[n] for n in needs}, "env": wenv,
               "status": all(done[n]["result"] == "success" for n in needs),
               "matrix": {}, "steps": {}, "runner": {"temp": work}}
        if not condition(job.get("if"), ctx):
            done[name] = {"result": "skipped", "outputs": {}}
            print("job %-40s skipped" % name)
            summary.append({"job": name, "result": "skipped"})
            continue
        mx = (job.get("strategy") or {}).get("matrix")
        entries = [{}]
        if mx is not None:
            mx = subst(mx, ctx)
            if not isinstance(mx, dict):
                raise Bad("job %s: matrix is not an object" % name)
            inc = mx.get("include", [])
            axes = {k: v for k, v in mx.items() if k not in ("include", "exclude")}
            entries = [dict(zip(axes, c)) for c in itertools.product(*axes.values())] \
                if axes else []
            entries += inc
        all_ok, outputs = True, {}
        for k, m in enumerate(entries):
            label = name + ("" if mx is None else " (%s)" % next(
                iter(m.values()), ""))
            ws = os.path.join(work, "jobs", "%s-%d" % (name, k))
            ok, steps = github_steps(job, dict(ctx, matrix=m), wenv, repo, ws,
                                     store, summary, label)
            all_ok &= ok
            jctx = dict(ctx, matrix=m, steps=steps)
            for o, v in (job.get("outputs") or {}).items():
                outputs[o] = subst(v, jctx)
        done[name] = {"result": "success" if all_ok else "failure",
                      "outputs": outputs}
    return summary


def as_list(v):
    if v is None:
        return []
    return [v] if isinstance(v, (str, dict)) else list(v)


def github_steps(job, ctx, wenv, repo, ws, store, summary, label):
    os.makedirs(ws, exist_ok=True)
    steps, status, published = {}, True, []
    jenv = dict(wenv)
    for k, v in (job.get("env") or {}).items():
        jenv[k] = str(subst(v, ctx))
    for n, st in enumerate(job.get("steps") or []):
        sctx = dict(ctx, steps=steps, status=status)
        if not condition(st.get("if"), sctx):
            continue
        env = dict(os.environ, CI="true", GITHUB_ACTIONS="true",
                   GITHUB_WORKSPACE=ws, **jenv)
        for k, v in (st.get("env") or {}).items():
            env[k] = str(subst(v, sctx))
        w = {k: str(subst(v, sctx)) for k, v in (st.get("with") or {}).items()}
        ok = True
        uses = st.get("uses", "")
        if "run" in st:
            out = os.path.join(ws, ".step-%d.out" % n)
            open(out, "w").close()
            env["GITHUB_OUTPUT"] = out
            rc = run_bash(subst(st["run"], sctx), env, ws,
                          os.path.join(ws, ".step-%d.log" % n))
            ok = rc == 0
            outs = {}
            for line in open(out):
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    outs[k] = v
            if st.get("id"):
                steps[st["id"]] = {"outputs": outs, "outcome":
                                   "success" if ok else "failure"}
        elif uses.startswith("actions/checkout@"):
            link_repo(repo, ws)
        elif uses.startswith("actions/cache@"):
            pass  # the cache directory is the machine's own
        elif uses.startswith("actions/upload-artifact@"):
            src = os.path.join(ws, w["path"])
            if os.path.exists(src):
                copy_into(src, os.path.join(store, w["name"]))
        elif uses.startswith("actions/download-artifact@"):
            dst = os.path.join(ws, w.get("path", "."))
            if "name" in w:
                src = os.path.join(store, w["name"])
                ok = os.path.isdir(src)
                if ok:
                    copy_into(src, dst)
            else:
                for a in sorted(os.listdir(store)):
                    if fnmatch.fnmatch(a, w.get("pattern", "*")):
                        copy_into(os.path.join(store, a), os.path.join(dst, a))
        elif uses.startswith("mikepenz/action-junit-report@"):
            files = sorted(glob.glob(os.path.join(ws, w["report_paths"])))
            ok = bool(files)
            published += [junit_counts(f) for f in files]
        else:
            raise Bad("step uses %s: not an action this runner knows" % uses)
        status &= ok
    result = "success" if status else "failure"
    print("job %-40s %s" % (label, result))
    summary.append({"job": label, "result": result, "junit": published,
                    "workspace": ws})
    return status, steps


# ---- GitLab CI -------------------------------------------------------------

RESERVED = {"stages", "variables", "include", "default", "workflow", "image",
            "services", "cache", "before_script", "after_script"}


def merge(a, b):
    """b over a, hashes merged deeply, as extends: does."""
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(
            out.get(k), dict) else v
    return out


def load_gitlab(path, repo):
    """A configuration with its include: local: files merged in."""
    conf = yaml.safe_load(open(path)) or {}
    base = {}
    for inc in as_list(conf.get("include")):
        local = inc.get("local") if isinstance(inc, dict) else inc
        if not local:
            raise Bad("%s: include %r: only local: files here" % (path, inc))
        base = merge(base, load_gitlab(os.path.join(repo, local), repo))
    conf.pop("include", None)
    return merge(base, conf)


def resolve(conf, name, seen=()):
    job = conf[name]
    if name in seen:
        raise Bad("extends: %s extends itself" % name)
    out = {}
    for parent in as_list(job.get("extends")):
        out = merge(out, resolve(conf, parent, seen + (name,)))
    out = merge(out, {k: v for k, v in job.items() if k != "extends"})
    return out


def expand(s, env):
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?",
                  lambda m: env.get(m.group(1), ""), s)


def gitlab(path, repo, work, env_over, caches, conf=None, up=None):
    conf = conf or load_gitlab(path, repo)
    stages = conf.get("stages") or ["build", "test", "deploy"]
    gvars = {k: str(v) for k, v in (conf.get("variables") or {}).items()}
    gvars.update(up or {})
    gvars.update(env_over)
    jobs = [j for j in conf if j not in RESERVED and not j.startswith(".")]
    summary, failed, artifacts = [], False, []
    for stage in stages:
        for name in jobs:
            job = resolve(conf, name)
            if job.get("stage", "test") != stage:
                continue
            when = job.get("when", "on_success")
            par = (job.get("parallel") or {})
            instances = [{}]
            if isinstance(par, dict) and "matrix" in par:
                instances = []
                for row in par["matrix"]:
                    keys = list(row)
                    vals = [as_list(row[k]) for k in keys]
                    instances += [dict(zip(keys, c)) for c in itertools.product(*vals)]
            stage_failed = False
            for k, mv in enumerate(instances):
                label = name + ("" if not mv else ": [%s]" % ", ".join(
                    str(v) for v in mv.values()))
                if failed and when != "always":
                    print("job %-40s skipped" % label)
                    summary.append({"job": label, "result": "skipped"})
                    continue
                ws = os.path.join(work, "jobs", "%s-%d" % (name, k))
                link_repo(repo, ws)
                for cache in as_list(job.get("cache")):
                    for p in cache.get("paths", []):
                        key = cache.get("key", "default")
                        if key in caches:
                            d = os.path.join(ws, p)
                            os.makedirs(os.path.dirname(d), exist_ok=True)
                            if not os.path.lexists(d):
                                os.symlink(caches[key], d)
                for a in artifacts:  # the earlier stages' artifacts
                    copy_into(a[0], os.path.join(ws, a[1]))
                env = dict(os.environ, CI="true", GITLAB_CI="true",
                           CI_PROJECT_DIR=ws)
                jvars = dict(gvars)
                jvars.update({k2: str(v) for k2, v in (job.get("variables") or {}).items()})
                jvars.update({k2: str(v) for k2, v in mv.items()})
                for k2, v in jvars.items():
                    env[k2] = expand(v, dict(env))
                if "trigger" in job:
                    child = None
                    for inc in as_list(job["trigger"].get("include")):
                        src = [s for s in summary if s.get("name") == inc["job"]]
                        child = os.path.join(src[-1]["workspace"], inc["artifact"])
                    if not child or not os.path.exists(child):
                        raise Bad("trigger %s: no child pipeline file" % name)
                    sub = gitlab(child, repo, os.path.join(work, name), {}, caches,
                                 load_gitlab(child, repo), gvars)
                    ok = all(s["result"] != "failure" for s in sub)
                    summary += sub
                else:
                    script = "\n".join(as_list(job.get("before_script")) +
                                       as_list(job.get("script")))
                    rc = run_bash(script, env, ws, os.path.join(ws, ".job.log"))
                    ok = rc == 0
                result = "success" if ok else "failure"
                print("job %-40s %s" % (label, result))
                art = job.get("artifacts") or {}
                published = []
                if ok or art.get("when") == "always":
                    for p in art.get("paths", []):
                        p = expand(p, env)
                        for f in glob.glob(os.path.join(ws, p)):
                            artifacts.append((f, os.path.relpath(f, ws)))
                    rep = (art.get("reports") or {}).get("junit")
                    for pat in as_list(rep):
                        published += [junit_counts(f) for f in
                                      sorted(glob.glob(os.path.join(ws, pat)))]
                summary.append({"job": label, "name": name, "result": result,
                                "junit": published, "workspace": ws})
                stage_failed |= not ok
            failed |= stage_failed
    return summary


def main():
    a = sys.argv[1:]
    if len(a) < 4 or a[0] not in ("github", "gitlab"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, path, repo, work = a[:4]
    env_over, caches, i = {}, {}, 4
    while i < len(a):
        if a[i] in ("--env", "--cache") and i + 1 < len(a):
            k, v = a[i + 1].split("=", 1)
            (env_over if a[i] == "--env" else caches)[k] = v
            i += 2
        else:
            print("pipeline.py: unknown argument %r" % a[i], file=sys.stderr)
            return 2
    os.makedirs(work, exist_ok=True)
    try:
        summary = (github if kind == "github" else gitlab)(
            path, os.path.abspath(repo), os.path.abspath(work), env_over, caches)
    except (Bad, KeyError, yaml.YAMLError) as e:
        print("pipeline.py: %s: %s" % (path, e), file=sys.stderr)
        return 2
    json.dump(summary, open(os.path.join(work, "summary.json"), "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
