"""Serves the JupyterLab test frontend (host/build) with Debian's jupyter_server
and jupyterlab_server, loading prebuilt extensions from GALORE_LAB_LABEXTENSIONS.

    GALORE_LAB_LABEXTENSIONS=/path/to/labextensions \\
    /usr/bin/python3 extension/host/server.py --port 8899 --ServerApp.token=secret \\
        --ServerApp.root_dir=/path/to/notebooks --no-browser --allow-root

Set JUPYTER_CONFIG_DIR, JUPYTER_DATA_DIR, JUPYTER_RUNTIME_DIR (and JUPYTER_PATH for
kernelspecs) to a temporary folder; JUPYTER_NO_CONFIG keeps config files out.
"""
import json
import os
import tempfile

from jupyterlab_server import LabServerApp

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")
os.environ.setdefault("JUPYTER_NO_CONFIG", "1")

with open(os.path.join(HERE, "package.json"), encoding="utf-8") as fid:
    HOST = json.load(fid)

STATE = os.environ.get("GALORE_LAB_LAB_STATE") or tempfile.mkdtemp(prefix="galore-lab-lab-state-")


class GaloreLabTestLab(LabServerApp):
    """JupyterLab 4 (our own frontend build) with prebuilt extensions."""

    name = "lab"
    load_other_extensions = False
    app_name = "JupyterLab (GaLore Lab test frontend)"
    app_version = HOST["version"]
    static_dir = os.path.join(BUILD, "static")
    schemas_dir = os.path.join(BUILD, "data", "schemas")
    themes_dir = os.path.join(BUILD, "data", "themes")
    templates_dir = os.path.join(HERE, "templates")
    app_settings_dir = os.path.join(STATE, "app-settings")
    user_settings_dir = os.path.join(STATE, "user-settings")
    workspaces_dir = os.path.join(STATE, "workspaces")
    labextensions_path = [p for p in os.environ.get("GALORE_LAB_LABEXTENSIONS", "").split(os.pathsep) if p]

    def initialize_settings(self):
        super().initialize_settings()
        settings = self.serverapp.web_app.settings
        settings["terminals_available"] = False
        settings.setdefault("page_config_data", {})["exposeAppInBrowser"] = True


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": GaloreLabTestLab}]


if __name__ == "__main__":
    GaloreLabTestLab.launch_instance()
