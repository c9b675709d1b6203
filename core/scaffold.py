"""`caregraph plugin new`: a working department plugin to start from.

In-tree (`plugins/<name>/`, enabled by adding it to CAREGRAPH_PLUGINS) or, with a destination
folder, an installable distribution that registers itself through the `caregraph.plugins`
entry point. Either way it has a table, its migration, a type, a field on `Child`, a query, a
mutation, a policy file, demo data and a test that passes at once.
"""

import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).parent / "plugin_template"
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
IN_TREE_ROOT = Path("plugins")


class ScaffoldError(ValueError):
    pass


@dataclass(frozen=True)
class Scaffold:
    name: str
    department: str
    package: str
    package_dir: Path
    test_file: Path
    pyproject: Path | None

    def substitutions(self) -> dict[str, str]:
        camel = "".join(part.title() for part in self.name.split("_"))
        return {
            "name": self.name,
            "department": self.department,
            "package": self.package,
            "Camel": camel,
            "camel": camel[0].lower() + camel[1:],
            "table": f"{self.name}_records",
            "title": self.name.replace("_", " ").capitalize(),
            "dashed": self.name.replace("_", "-"),
            "today": date.today().isoformat(),
        }


def plan(name: str, department: str, destination: Path | None, repo_root: Path) -> Scaffold:
    for label, value in (("plugin name", name), ("department code", department)):
        if not PLUGIN_NAME.match(value):
            raise ScaffoldError(
                f"the {label} {value!r} must be lower-case letters and digits joined by "
                "underscores, starting with a letter"
            )
    if destination is None:
        package_dir = repo_root / IN_TREE_ROOT / name
        return Scaffold(
            name=name,
            department=department,
            package=f"plugins.{name}",
            package_dir=package_dir,
            test_file=repo_root / "tests" / f"test_plugin_{name}.py",
            pyproject=None,
        )
    package = f"caregraph_{name}"
    return Scaffold(
        name=name,
        department=department,
        package=package,
        package_dir=destination / package,
        test_file=destination / "tests" / f"test_{name}.py",
        pyproject=destination / "pyproject.toml",
    )


def write(scaffold: Scaffold) -> list[Path]:
    """Render the templates; refuses to overwrite an existing plugin."""
    existing = [
        path
        for path in (scaffold.package_dir, scaffold.test_file, scaffold.pyproject)
        if path is not None and path.exists()
    ]
    if existing:
        raise ScaffoldError(f"{existing[0]} already exists; choose another name or an empty folder")
    values = scaffold.substitutions()
    targets: dict[Path, Path] = {}
    for template in sorted(TEMPLATES.rglob("*.tmpl")):
        relative = template.relative_to(TEMPLATES).with_suffix("")
        if relative.parts[0] == "tests":
            targets[template] = scaffold.test_file
        elif relative.name in ("pyproject.toml", "gitignore"):
            if scaffold.pyproject is not None:  # an installable distribution of its own
                name = ".gitignore" if relative.name == "gitignore" else relative.name
                targets[template] = scaffold.pyproject.parent / name
        else:
            targets[template] = scaffold.package_dir / relative
    written = []
    for template, target in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            Template(template.read_text(encoding="utf-8")).substitute(values), encoding="utf-8"
        )
        written.append(target)
    # Package markers, so that an installed distribution carries its migrations.
    for folder in ("migrations", "migrations/versions"):
        (scaffold.package_dir / folder / "__init__.py").touch()
    _tidy(written)
    return written


def _tidy(paths: list[Path]) -> None:
    """Format the generated code when ruff is installed (long plugin names make long lines)."""
    python_files = [str(path) for path in paths if path.suffix == ".py"]
    for arguments in (
        ["check", "--fix", "--quiet", "--no-cache", "--select", "I"],
        ["format", "--quiet", "--no-cache"],
    ):
        try:
            subprocess.run(
                [sys.executable, "-m", "ruff", *arguments, *python_files],
                check=False,
                capture_output=True,
            )
        except OSError:
            return
