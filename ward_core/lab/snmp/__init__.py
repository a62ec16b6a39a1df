"""SNMP agents of the simulated lab: v2c and v3 (USM authPriv) on one UDP socket per device.

Every device of a lab is served from one asyncio loop (``SnmpAgentPool``): a socket and a small
protocol object per device address, no thread and no SNMP engine object per device. What a
device answers is computed from ``ward_core.lab.model`` at request time, so a change made over SSH
(or by a fault) is what the next SNMP request sees.

Modules, bottom up::

    ber          BER codec for the SNMP subset (hand-written, see below)
    message      PDUs, v1/v2c community messages, v3 messages with USM parameters
    usm          password-to-key, key localisation, HMAC-MD5/SHA-96, HMAC-SHA-256-192, AES-128-CFB
    v3           RFC 3414 processing: discovery, time windows, digests, reports
    mib          MibView: GET/GETNEXT (and walks for GETBULK) over tables computed per request
    responder    GET, GETNEXT, GETBULK (sized to the message limit) and SET (refused)
    identity     sysDescr, sysObjectID, LLDP capabilities, engineID of a device
    context      what a request sees: network, device, engine
    device_mib   SNMPv2-MIB system, IF-MIB, HOST-RESOURCES, CISCO-PROCESS/MEMORY-POOL, snmpEngine
    lldp_mib     LLDP-MIB local system, port table, remote table, remote management addresses
    cdp_mib      CISCO-CDP-MIB cdpGlobal and cdpCacheTable (what ``show cdp neighbors detail`` shows)
    credentials  SnmpCredentials: community and the v3 user
    agent        DeviceAgent (one device's socket) and SnmpAgentPool (start/close for the lab)
    background   BackgroundAgents: a pool on its own thread, for blocking callers and tests

For the lab runtime::

    pool = SnmpAgentPool()                                   # max_message_size=1472 by default
    await pool.start(network, bind_port=161, credentials=lab_credentials)
    ...                                                      # pool.stats, pool.agents
    await pool.close()

``credentials`` is a ``SnmpCredentials`` or any object with ``community``, ``v3_user``,
``v3_auth_password`` and ``v3_priv_password`` (``LabCredentials``; SHA authentication then). A bind
that fails closes what was bound and raises ``LabError`` naming the device, address and port.

Codec decision. pysnmp's message codecs (``pysnmp.proto.api`` over pyasn1) and the hand-written
``ber`` module were timed on the agent's hot path, decoding a v2c GETBULK and encoding a response
of 25 Counter64 varbinds, with byte-identical output (``bench/lab_snmp_codec.py``): about 2.6 ms
per exchange with pysnmp against 0.08-0.11 ms with ``ber``, 24-31 times less CPU. The SNMP subset
is small and fixed, so the agents use ``ber``; pysnmp stays a client in the tests.

Measured on the 2-core development machine (``bench/lab_snmp_agent.py``, shared and noisy, so
read the ratios): 1,000 agents bind in 0.11 s and add about 2 KiB of RSS each; with 200 devices
polled by gufo-snmp at concurrency 20, a GET of sysUpTime costs the agent process about 0.05-0.07
ms of CPU, a full ifXTable poll (6 columns by GETBULK, about 150 values, 11 requests) about 2 ms
over v2c and 3-4 ms over v3 authPriv, for 220-300 such polls per second.

Behaviour worth knowing: v1 requests are dropped (the lab offers v2c and v3); a wrong community
gets no answer, like a real agent; the v3 user is authPriv only, and lower levels get
``authorizationError``; GETBULK responses are cut to the message limit (the client's msgMaxSize
for v3), ``tooBig`` only when not one varbind fits; SET answers ``notWritable`` or ``noCreation``.
"""

from ward_core.lab.snmp.agent import AgentStats, DeviceAgent, SnmpAgentPool
from ward_core.lab.snmp.credentials import SnmpCredentials

__all__ = ["AgentStats", "DeviceAgent", "SnmpAgentPool", "SnmpCredentials"]
