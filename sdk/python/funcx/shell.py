"""Shell functions: a command template run on an endpoint, as funcx.shell_runner's source (see there)."""

from . import shell_runner

ENTRYPOINT = "run_shell"


def runner_source():
    """The source every shell task runs (the CLI sends the same file)."""
    with open(shell_runner.__file__, encoding="utf-8") as file:
        return file.read()


class ShellResult(dict):
    """{returncode, stdout, stderr, cmd} of a shell task, also as attributes."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self):
        return "ShellResult(returncode=%r, cmd=%r)" % (self.get("returncode"), self.get("cmd"))


class ShellFunction:
    """A shell command template, such as `ShellFunction("tar czf {out} {src}", walltime=60)`: submit it to an
    Executor with the template's fields as keyword arguments (`executor.submit(tar, out="a.tgz", src="data")`)
    and the future's result is a ShellResult. Each value is quoted with shlex.quote; write `{{` and `}}` for
    braces. `walltime` (seconds) stops the command with return code 124; `lines` is how many of the last lines
    of stdout and stderr the result keeps (they stream into the task's outputs as they are written)."""

    def __init__(self, cmd, walltime=None, lines=1000, name=None):
        if not isinstance(cmd, str) or not cmd.strip():
            raise ValueError("ShellFunction needs a command, such as ShellFunction('ls -l {path}')")
        if walltime is not None and not walltime > 0:
            raise ValueError("walltime must be a number of seconds above 0")
        self.cmd = cmd
        self.walltime = walltime
        self.lines = lines
        self.__name__ = name or "shell"

    def __repr__(self):
        return "ShellFunction(%r, walltime=%r)" % (self.cmd, self.walltime)

    def task_kwargs(self, kwargs):
        """The runner's keyword arguments for one call (values as text, as the command line gets them)."""
        fields = {key: str(value) for key, value in kwargs.items()}
        shell_runner.fill(self.cmd, fields)  # a template that does not fill fails here, not on the endpoint
        task = {"cmd": self.cmd, "lines": self.lines}
        if fields:
            task["kwargs"] = fields
        if self.walltime is not None:
            task["walltime"] = self.walltime
        return task

    def __call__(self, **kwargs):
        """Runs the command here, as the endpoint would (handy to test a template)."""
        return ShellResult(shell_runner.run_shell(**self.task_kwargs(kwargs)))
