"""Only what pyproject.toml cannot say: the theme in top-level ``templates/`` (its one
copy in the repository) ships inside the package as ``briefing/templates``, so every
install form (wheel, ``--user``, ``--prefix``, ``--target``) finds it beside the code.
pyproject.toml's ``packages.find`` cannot map a folder to another package name."""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["briefing*"]), "briefing.templates"],
    package_dir={"briefing.templates": "templates"},
)
