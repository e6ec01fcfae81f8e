#!/bin/sh
# Printed by `make demo` until the demo program exists (it needs the simulated SoC).
cat <<'TEXT'
make demo will run the seed's story on a simulated SoC:
  1. register a simulated remote processor (a separate process, memory shared with memfd);
  2. boot the rpmsg-client-sample firmware (ELF loaded, resource table handled);
  3. the remote announces "rpmsg-client-sample" through the name service; the channel appears;
  4. the seed's sample_client driver is probed and sends "dude"; the callback prints the replies;
  5. show the topology (processor -> vdev -> channels -> endpoints) and the trace buffer;
  6. crash the remote, watch the channel go and come back after recovery;
  7. shut down cleanly.

Built so far, and tested by `make test`: the wire formats, the virtqueue (both roles), the ELF
and resource-table parsers, the remoteproc core (life cycle, resources, crash, recovery,
coredump, trace), the rpmsg bus and the firmware side of rpmsg. The same story already runs end
to end in-process: build/default/tests/test_rproc_rpmsg (the remote is a thread there).
Still to come: the simulated SoC (a core process per processor) and the firmware SDK.
TEXT
