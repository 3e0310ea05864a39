/** A published port: `[hostIp:][hostPort:]containerPort[/protocol]`, as `docker run -p` writes it. */
export interface PortBinding {
  readonly hostIp: string | undefined;
  /** Absent: the engine picks a free host port. */
  readonly hostPort: number | undefined;
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
}

const PORT_SPEC = /^(?:(?:(\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(\d{1,5})?:)?(\d{1,5})(?:\/(tcp|udp|sctp))?$/;

export function parsePortBinding(text: string): PortBinding | undefined {
  const match = PORT_SPEC.exec(text);
  if (!match) return undefined;
  const [, ip, hostPort, containerPort, protocol] = match;
  const host = hostPort === undefined ? undefined : Number(hostPort);
  const container = Number(containerPort);
  if (!validPort(container) || (host !== undefined && !validPort(host))) return undefined;
  return {
    hostIp: ip?.replace(/^\[|\]$/g, ''),
    hostPort: host,
    containerPort: container,
    protocol: (protocol ?? 'tcp') as PortBinding['protocol'],
  };
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}
