"""``ward lab``: the simulated branch network on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ward_core.cli.context import print_json, settings_of
from ward_core.lab.export import lab_inventory_yaml
from ward_core.lab.faults import KINDS
from ward_core.lab.process import LabProcess
from ward_core.lab.spec import LabSpec

app = typer.Typer(
    help="Run the simulated lab: devices with real SSH and SNMP on loopback.", no_args_is_help=True
)
console = Console()


def _lab(ctx: typer.Context) -> LabProcess:
    return LabProcess(settings_of(ctx).lab_dir)


@app.command()
def up(
    ctx: typer.Context,
    devices: Annotated[int, typer.Option(help="How many devices (hubs included).")] = 20,
    sites: Annotated[
        int | None, typer.Option(help="How many branch sites (default: about 5 devices each).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for serials, traffic and identities.")] = 1,
    topology: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="A topology YAML instead of a generated one."),
    ] = None,
    ssh_port: Annotated[
        int | None, typer.Option(help="SSH port of every device (22 as root, else 10022).")
    ] = None,
    snmp_port: Annotated[
        int | None, typer.Option(help="SNMP port of every device (161 as root, else 10161).")
    ] = None,
    first_address: Annotated[str | None, typer.Option(help="Address of the first device.")] = None,
    netns: Annotated[
        bool, typer.Option(help="Run in a network namespace so ICMP faults work (root).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the lab state as JSON.")] = False,
) -> None:
    """Start the lab in the background; it keeps running after this command returns."""
    spec = LabSpec.create(
        devices=devices,
        sites=sites,
        seed=seed,
        topology=topology,
        ssh_port=ssh_port,
        snmp_port=snmp_port,
        first_address=first_address,
        netns=netns,
    )
    lab = _lab(ctx)
    state = lab.up(spec)
    if as_json:
        print_json(state)
        return
    addresses = [d["address"] for d in state["devices"]]
    namespace = f", namespace {lab.namespace().name}" if spec.netns else ""
    console.print(
        f"lab up: {len(addresses)} devices in {len(state['sites'])} sites, "
        f"{addresses[0]} .. {addresses[-1]}, ssh port {spec.ssh_port}, snmp port {spec.snmp_port}"
        f"{namespace} (pid {state['pid']}, log {lab.paths.log})"
    )
    console.print(
        f"inventory: ward lab inventory > lab.yml; secrets: export WARD_SECRETS_FILE={lab.paths.secrets}"
    )


@app.command()
def down(ctx: typer.Context) -> None:
    """Stop the lab and remove every process, socket and namespace it made."""
    stopped = _lab(ctx).down()
    console.print("lab stopped" if stopped else "no lab was running; leftovers removed")


@app.command()
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Whether the lab runs, its size, memory and active faults."""
    info = _lab(ctx).status()
    if as_json:
        print_json(info)
        return
    if not info["running"]:
        console.print(f"no lab running in {info['lab_dir']}")
        raise typer.Exit(1)
    console.print(
        f"lab running: pid {info['pid']}, {info['devices']} devices in {info['sites']} sites, "
        f"rss {info['rss_bytes'] / 2**20:.0f} MiB, up {info['uptime_s']} s, "
        f"ssh {info['ssh_port']}, snmp {info['snmp_port']}, "
        f"ICMP faults {'on (namespace ' + str(info['netns']) + ')' if info['icmp_faults'] else 'unavailable'}"
    )
    if info["faults"]:
        table = Table("device", "faults")
        for name, faults in sorted(info["faults"].items()):
            table.add_row(name, ", ".join(f"{k}={v}" for k, v in faults.items()))
        console.print(table)


@app.command()
def inventory(
    ctx: typer.Context,
    snmp_version: Annotated[str, typer.Option(help="SNMP version the inventory asks for: 2c or 3.")] = "2c",
) -> None:
    """Print the running lab as an inventory for ``ward inventory import``."""
    if snmp_version not in ("2c", "3"):
        raise typer.BadParameter("must be 2c or 3", param_hint="--snmp-version")
    lab = _lab(ctx)
    typer.echo(lab_inventory_yaml(lab.state(), str(lab.paths.secrets), snmp_version), nl=False)


@app.command()
def fault(
    ctx: typer.Context,
    device: Annotated[str, typer.Argument(help="Device name.")],
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    argument: Annotated[
        str | None, typer.Argument(help="IF for flap/if-down/if-up, MS for slow, PCT for packet-loss.")
    ] = None,
) -> None:
    """Inject a fault into a running lab device."""
    reply = _lab(ctx).fault(device, kind, argument)
    console.print(reply["message"])
    if reply.get("icmp_note"):
        console.print(f"[yellow]note:[/] {reply['icmp_note']}")


@app.command()
def show(
    ctx: typer.Context,
    device: Annotated[str, typer.Argument(help="Device name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Live state of one lab device: interfaces, neighbours, faults."""
    view = _lab(ctx).device(device)
    if as_json:
        print_json(view)
        return
    console.print(
        f"{view['name']} ({view['address']}) up {view['uptime_s']:.0f} s, faults: {view['faults'] or 'none'}"
    )
    table = Table("interface", "admin", "oper", "peer", "description")
    for iface in view["interfaces"]:
        if iface["peer"] or iface["oper_up"]:
            peer = " ".join(iface["peer"]) if iface["peer"] else ""
            table.add_row(
                iface["name"],
                _updown(iface["admin_up"]),
                _updown(iface["oper_up"]),
                peer,
                iface["description"],
            )
    console.print(table)


def _updown(flag: bool) -> str:
    return "up" if flag else "down"
