#!/usr/bin/python3
"""umockdev testbed for provision's Hotplug/Links tests.

Run under LD_PRELOAD=libumockdev-preload.so.0 with Debian's /usr/bin/python3 (it needs `gi`).
Prints `root <dir>` once the testbed exists, then obeys one command per stdin line and answers
each with one line, `ok ...` or `err <reason>`:

  board PATH MODE [ttys=I,J,..] [pump=echo|fd:PATH]   add a board (MODE download|running|single-running:
                                                       the running ID with download mode's one CDC port)
  tty PATH IFACE                                       add a late tty on interface IFACE
  remove PATH                                          unplug cleanly (ttys, interfaces, device)
  unplug PATH                                          usbfs starts failing with ENODEV, then remove
  adapter PATH                                         an unrelated FTDI serial adapter
  listen PATH IFACE                                    collect what the host writes to that tty
  collected PATH IFACE                                 hex of the bytes collected so far
  usbstats PATH                                        OUT endpoints used, control setups seen
  say PATH IFACE HEX                                   the board writes HEX to that tty
  bridge PATH IFACE PEER                               shuttle that tty's bytes to/from file PEER
  bootsim PATH SEQHEX DELAYMS                          running board that resets into download
                                                       mode once SEQHEX has arrived on x.2
  quit

The simulated usbfs device (`pump=`) answers libusb's URB ioctls. `echo` loops every OUT byte
back to IN; `fd:PATH` opens PATH (e.g. a pty of an in-process simulated board) and moves bytes
both ways. Each endpoint is a byte stream: libusb splits transfers into 16 KiB URBs.
"""
import errno
import os
import struct
import sys
import threading
import time

import gi
gi.require_version('UMockdev', '1.0')
from gi.repository import UMockdev, GLib  # noqa: E402

BOARD_IDS = {'download': (0x17d1, 0x0001), 'running': (0x19d1, 0x0001), 'single-running': (0x19d1, 0x0001)}
PCI = '/devices/pci0000:00/0000:00:14.0'

# linux/usbdevice_fs.h request codes on x86_64 (checked against the header).
SUBMITURB, REAPURB, REAPURBNDELAY, DISCARDURB = 0x8038550a, 0x4008550c, 0x4008550d, 0x550b
CLAIM, RELEASE, GET_CAPS, GETDRIVER = 0x8004550f, 0x80045510, 0x8004551a, 0x41045508
CONTROL, IOCTL, SETINTERFACE, CLEAR_HALT, RESET = 0xc0185500, 0xc0105512, 0x80085504, 0x80045515, 0x5514
URB_SIZE = 56
URB_TYPE_CONTROL = 2
DEBUG = bool(os.environ.get('TESTBED_DEBUG'))  # log every usbfs ioctl but the reap polls


def log(*args):
    print('testbed:', *args, file=sys.stderr, flush=True)


def device_descriptor(vid, pid, cls=(0, 0, 0)):
    return struct.pack('<BBHBBBBHHHBBBB', 18, 1, 0x0200, cls[0], cls[1], cls[2], 64,
                       vid, pid, 0x0200, 1, 2, 3, 1)


def interface(number, cls, endpoints):
    out = struct.pack('<BBBBBBBBB', 9, 4, number, 0, len(endpoints), cls[0], cls[1], cls[2], 0)
    for address, kind, size in endpoints:
        out += struct.pack('<BBBBHB', 7, 5, address, kind, size, 0 if kind == 2 else 16)
    return out


def config(interfaces):
    body = b''.join(interfaces)
    return struct.pack('<BBHBBBBB', 9, 2, 9 + len(body), len(interfaces), 1, 0, 0x80, 50) + body


BULK, INTR = 2, 3
ACM_COMM, CDC_DATA = (2, 2, 1), (0x0a, 0, 0)


def board_descriptors(mode):
    vid, pid = BOARD_IDS[mode]
    if mode in ('download', 'single-running'):
        # One CDC-ACM function: comm interface 0, data interface 1.
        ifs = [interface(0, ACM_COMM, [(0x83, INTR, 8)]),
               interface(1, CDC_DATA, [(0x01, BULK, 512), (0x81, BULK, 512)])]
        return device_descriptor(vid, pid, (2, 0, 0)) + config(ifs)
    # RNDIS on 0/1, then three CDC-ACM functions on 2/3, 4/5, 6/7.
    ifs = [interface(0, (0xe0, 1, 3), [(0x82, INTR, 8)]),
           interface(1, CDC_DATA, [(0x01, BULK, 512), (0x81, BULK, 512)])]
    for n, (out_ep, in_ep, int_ep) in enumerate([(0x02, 0x83, 0x84), (0x03, 0x85, 0x86), (0x04, 0x87, 0x88)]):
        ifs.append(interface(2 + 2 * n, ACM_COMM, [(int_ep, INTR, 8)]))
        ifs.append(interface(3 + 2 * n, CDC_DATA, [(out_ep, BULK, 512), (in_ep, BULK, 512)]))
    return device_descriptor(vid, pid, (0xef, 2, 1)) + config(ifs)


def hub_descriptors(vid, pid):
    return device_descriptor(vid, pid, (9, 0, 0)) + config([interface(0, (9, 0, 0), [(0x81, INTR, 4)])])


class UsbPump(UMockdev.IoctlBase):
    """A usbfs device whose bulk endpoints are byte streams."""

    def __init__(self, mode, name):
        super().__init__()
        self.lock = threading.Lock()
        self.mode = mode            # 'echo' or a file descriptor to pump to/from
        self.name = name
        self.inbound = bytearray()  # device → host bytes not yet delivered
        self.pending_in = []        # IN URBs waiting for data
        self.done = []              # URBs completed, waiting to be reaped
        self.gone = False
        self.out_bytes = 0
        self.controls = []          # setup packets of control requests seen
        self.out_endpoints = set()
        if isinstance(mode, int):
            threading.Thread(target=self._pump_from_fd, daemon=True).start()

    def _pump_from_fd(self):
        while True:
            try:
                data = os.read(self.mode, 65536)
            except OSError as e:
                if e.errno == errno.EIO:    # peer not open yet / closed
                    time.sleep(0.005)
                    continue
                return
            if not data:
                return
            with self.lock:
                self.inbound += data

    def _fill_pending(self):
        while self.pending_in and self.inbound:
            urb, length = self.pending_in.pop(0)
            n = min(length, len(self.inbound))
            chunk = bytes(self.inbound[:n])
            del self.inbound[:n]
            urb.resolve(16, length).update(0, chunk)
            urb.update(28, struct.pack('<i', n))
            urb.update(4, struct.pack('<i', 0))
            self.done.append(urb)

    def do_handle_ioctl(self, client):
        request = client.get_request()
        if DEBUG and request != REAPURBNDELAY:
            log('ioctl 0x%x' % request)
        with self.lock:
            if self.gone:
                # As usbfs after a disconnect: URBs in flight come back with -ENODEV first
                # (libusb waits for every submitted URB), then everything fails with ENODEV.
                if request in (REAPURB, REAPURBNDELAY) and (self.done or self.pending_in):
                    for urb, _ in self.pending_in:
                        urb.update(28, struct.pack('<i', 0))
                        urb.update(4, struct.pack('<i', -errno.ENODEV))
                        self.done.append(urb)
                    self.pending_in = []
                    client.get_arg().resolve(0, 8).set_ptr(0, self.done.pop(0))
                    client.complete(0, 0)
                else:
                    client.complete(-1, errno.ENODEV)
                return True
            if request == SUBMITURB:
                urb = client.get_arg().resolve(0, URB_SIZE)
                raw = bytes(urb.retrieve())
                urb_type, endpoint = raw[0], raw[1]
                length = struct.unpack_from('<i', raw, 24)[0]
                if urb_type == URB_TYPE_CONTROL:
                    # Requests without a data stage (SET_CONTROL_LINE_STATE for DTR): accept.
                    self.controls.append(bytes(urb.resolve(16, 8).retrieve()) if length >= 8 else b'')
                    urb.update(28, struct.pack('<i', max(0, length - 8)))
                    urb.update(4, struct.pack('<i', 0))
                    self.done.append(urb)
                elif endpoint & 0x80:
                    self.pending_in.append((urb, length))
                else:
                    data = bytes(urb.resolve(16, length).retrieve()) if length else b''
                    self.out_bytes += len(data)
                    self.out_endpoints.add(endpoint)
                    if self.mode == 'echo':
                        self.inbound += data
                    else:
                        os.write(self.mode, data)
                    urb.update(28, struct.pack('<i', len(data)))
                    urb.update(4, struct.pack('<i', 0))
                    self.done.append(urb)
                client.complete(0, 0)
            elif request in (REAPURB, REAPURBNDELAY):
                self._fill_pending()
                if not self.done:
                    client.complete(-1, errno.EAGAIN)
                    return True
                urb = self.done.pop(0)
                client.get_arg().resolve(0, 8).set_ptr(0, urb)
                client.complete(0, 0)
            elif request == DISCARDURB:
                # The argument is the URB's address in the client. GI hands it over as a
                # NUL-terminated byte string, so it is cut at its first zero byte: match the
                # little-endian address by that prefix.
                prefix = bytes(client.get_arg().data or b'')[:8]
                for i, (urb, length) in enumerate(self.pending_in):
                    address = struct.pack('<Q', urb.client_addr)
                    if address.startswith(prefix) and (len(prefix) == 8 or address[len(prefix)] == 0):
                        del self.pending_in[i]
                        urb.update(28, struct.pack('<i', 0))
                        urb.update(4, struct.pack('<i', -errno.ENOENT))
                        self.done.append(urb)
                        client.complete(0, 0)
                        return True
                client.complete(-1, errno.EINVAL)
            elif request in (CLAIM, RELEASE, SETINTERFACE, CLEAR_HALT, RESET, CONTROL):
                client.complete(0, 0)
            elif request == GET_CAPS:
                client.get_arg().resolve(0, 4).update(0, struct.pack('<I', 0))
                client.complete(0, 0)
            elif request == GETDRIVER:
                client.complete(-1, errno.ENODATA)
            else:
                log('unhandled ioctl 0x%x on %s' % (request, self.name))
                client.complete(-1, errno.ENOTTY)
        return True


class Station:
    def __init__(self):
        self.tb = UMockdev.Testbed.new()
        self.devnums = {}        # bus → next devnum
        self.devices = {}        # sysfs name → sysfs path (hubs, boards, adapters)
        self.children = {}      # sysfs name → [child sysfs paths, deepest first on removal]
        self.ttys = {}           # (name, iface) → devnode
        self.tty_counts = {}
        self.pumps = {}
        self.usbnodes = {}
        self.collected = {}      # (name, iface) → bytearray
        self.add_record(PCI, {'SUBSYSTEM': 'pci'}, {}, None)
        self.ensure_hub('usb1')

    # -- records -------------------------------------------------------------------
    def add_record(self, path, props, attrs, node, hexattrs=None):
        lines = ['P: ' + path]
        if node:
            lines.append('N: ' + node)
        lines += ['E: %s=%s' % kv for kv in props.items()]
        lines += ['A: %s=%s' % kv for kv in attrs.items()]
        lines += ['H: %s=%s' % (k, v.hex()) for k, v in (hexattrs or {}).items()]
        self.tb.add_from_string('\n'.join(lines) + '\n')
        syspath = '/sys' + path
        self.tb.uevent(syspath, 'add')
        return syspath

    def next_devnum(self, bus):
        n = self.devnums.get(bus, 1)
        self.devnums[bus] = n + 1
        return n

    def parent_name(self, name):
        if '.' in name:
            return name.rsplit('.', 1)[0]
        bus = name.split('-')[0]
        return 'usb' + bus

    def usb_device(self, name, vid, pid, descriptors, pump=None):
        bus = int(name[3:]) if name.startswith('usb') else int(name.split('-')[0])
        parent = PCI if name.startswith('usb') else self.devices[self.ensure_hub(self.parent_name(name))]
        devnum = self.next_devnum(bus)
        node = 'bus/usb/%03d/%03d' % (bus, devnum)
        if pump is not None:
            # The handler must be attached before the node exists (umockdev issue 173).
            self.tb.attach_ioctl('/dev/' + node, pump)
            self.pumps[name] = pump
        path = '/sys' + parent[4:] if parent.startswith('/sys') else parent
        rel = (parent[4:] if parent.startswith('/sys') else parent) + '/' + name
        syspath = self.add_record(rel, {
            'SUBSYSTEM': 'usb', 'DEVTYPE': 'usb_device', 'DEVNAME': '/dev/' + node,
            'PRODUCT': '%x/%x/200' % (vid, pid), 'BUSNUM': '%03d' % bus, 'DEVNUM': '%03d' % devnum,
        }, {
            'idVendor': '%04x' % vid, 'idProduct': '%04x' % pid, 'busnum': str(bus),
            'devnum': str(devnum), 'speed': '480', 'bConfigurationValue': '1', 'devpath': name.split('-')[-1],
            # As the kernel prints it ("%2d"): the configuration descriptor's bNumInterfaces.
            'bNumInterfaces': '%2d' % descriptors[18 + 4],
        }, node, {'descriptors': descriptors})
        self.devices[name] = syspath
        self.usbnodes[name] = '/dev/' + node
        self.children[name] = []
        return syspath, '/dev/' + node

    def ensure_hub(self, name):
        if name in self.devices:
            return name
        if name.startswith('usb'):
            self.usb_device(name, 0x1d6b, 0x0002, hub_descriptors(0x1d6b, 0x0002))
        else:
            self.usb_device(name, 0x05e3, 0x0610, hub_descriptors(0x05e3, 0x0610))
        return name

    def add_interface(self, name, number, cls):
        path = self.devices[name][4:] + '/%s:1.%d' % (name, number)
        syspath = self.add_record(path, {'SUBSYSTEM': 'usb', 'DEVTYPE': 'usb_interface',
                                         'INTERFACE': '%d/%d/%d' % cls},
                                  {'bInterfaceNumber': '%02x' % number, 'bInterfaceClass': '%02x' % cls[0]}, None)
        self.children[name].append(syspath)

    def add_tty(self, name, number, prefix='ttyACM'):
        # umockdev cannot re-create a node name it made before, so names are never reused
        # (the kernel would reuse them; nothing here depends on either).
        index = self.tty_counts.get(prefix, 0)
        self.tty_counts[prefix] = index + 1
        tty = '%s%d' % (prefix, index)
        path = self.devices[name][4:] + '/%s:1.%d/tty/%s' % (name, number, tty)
        syspath = self.add_record(path, {'SUBSYSTEM': 'tty', 'DEVNAME': '/dev/' + tty}, {}, tty)
        self.children[name].append(syspath)
        self.ttys[(name, number)] = '/dev/' + tty
        return '/dev/' + tty

    # -- commands ------------------------------------------------------------------
    def cmd_board(self, name, mode, *options):
        opts = dict(o.split('=', 1) for o in options)
        pump = None
        if 'pump' in opts:
            spec = opts['pump']
            pump = UsbPump('echo' if spec == 'echo' else os.open(spec[3:], os.O_RDWR | os.O_NOCTTY), name)
        vid, pid = BOARD_IDS[mode]
        _, usbnode = self.usb_device(name, vid, pid, board_descriptors(mode), pump)
        words = ['usb=' + usbnode]
        if mode in ('download', 'single-running'):
            self.add_interface(name, 0, ACM_COMM)
            self.add_interface(name, 1, CDC_DATA)
            ttys = [int(x) for x in opts['ttys'].split(',')] if 'ttys' in opts else [0]
        else:
            for n in range(8):
                self.add_interface(name, n, ACM_COMM if n in (2, 4, 6) else CDC_DATA)
            ttys = [int(x) for x in opts.get('ttys', '2,4,6').split(',') if x]
        for number in ttys:
            words.append('tty%d=%s' % (number, self.add_tty(name, number)))
        return ' '.join(words)

    def cmd_tty(self, name, number):
        return self.add_tty(name, int(number))

    def cmd_adapter(self, name):
        desc = device_descriptor(0x0403, 0x6001) + config([interface(0, (0xff, 0xff, 0xff),
                                                                     [(0x81, BULK, 64), (0x02, BULK, 64)])])
        _, usbnode = self.usb_device(name, 0x0403, 0x6001, desc)
        self.add_interface(name, 0, (0xff, 0xff, 0xff))
        return 'usb=%s tty0=%s' % (usbnode, self.add_tty(name, 0, 'ttyUSB'))

    def cmd_remove(self, name):
        for syspath in reversed(self.children.pop(name, [])):
            self.tb.uevent(syspath, 'remove')
            self.tb.remove_device(syspath)
        for key in [k for k in self.ttys if k[0] == name]:
            node = self.ttys.pop(key)
            self._unlink_node(node)
        syspath = self.devices.pop(name)
        self.tb.uevent(syspath, 'remove')
        self.tb.remove_device(syspath)
        self._unlink_node(self.usbnodes.pop(name))
        pump = self.pumps.pop(name, None)
        if pump is not None:
            with pump.lock:
                pump.gone = True
        return 'removed'

    def _unlink_node(self, node):
        # umockdev keeps /dev nodes of removed devices.
        try:
            os.unlink(self.tb.get_root_dir() + node)
        except FileNotFoundError:
            pass

    def cmd_unplug(self, name):
        """Yank the cable: usbfs answers ENODEV at once (as the kernel does for an open fd);
        the device leaves sysfs a moment later. Removing it at once would tear down the
        ioctl handler under a client that is still mid-ioctl."""
        pump = self.pumps.get(name)
        if pump is not None:
            with pump.lock:
                pump.gone = True

        def later():
            time.sleep(0.3)
            with self.lock:
                if name in self.devices:
                    self.cmd_remove(name)
        threading.Thread(target=later, daemon=True).start()
        return 'unplugged'

    def _collect(self, name, number, on_bytes=None):
        fd = self.tb.get_dev_fd(self.ttys[(name, number)])
        buf = self.collected.setdefault((name, number), bytearray())

        def run():
            while True:
                try:
                    data = os.read(fd, 4096)
                except OSError as e:
                    if e.errno == errno.EIO:
                        time.sleep(0.005)
                        continue
                    return
                if not data:
                    return
                buf.extend(data)
                if on_bytes is not None and on_bytes(bytes(buf)):
                    return
        threading.Thread(target=run, daemon=True).start()

    def cmd_listen(self, name, number):
        self._collect(name, int(number))
        return 'listening'

    def cmd_say(self, name, number, hexbytes):
        """Write bytes as the board, to the host side of that tty."""
        fd = self.tb.get_dev_fd(self.ttys[(name, int(number))])
        os.write(fd, bytes.fromhex(hexbytes))
        return 'said'

    def cmd_bridge(self, name, number, path):
        """Shuttle bytes between that tty and PATH (e.g. a simulated board's pty)."""
        tty = self.tb.get_dev_fd(self.ttys[(name, int(number))])
        peer = os.open(path, os.O_RDWR | os.O_NOCTTY)

        def pump(src, dst):
            while True:
                try:
                    data = os.read(src, 65536)
                except OSError as e:
                    if e.errno == errno.EIO:
                        time.sleep(0.002)
                        continue
                    return
                if not data:
                    return
                os.write(dst, data)
        threading.Thread(target=pump, args=(tty, peer), daemon=True).start()
        threading.Thread(target=pump, args=(peer, tty), daemon=True).start()
        return 'bridged'

    def cmd_usbstats(self, name):
        pump = self.pumps[name]
        with pump.lock:
            return 'out_eps=%s controls=%s out_bytes=%d' % (
                ','.join('%02x' % e for e in sorted(pump.out_endpoints)) or '-',
                ','.join(c.hex() for c in pump.controls) or '-', pump.out_bytes)

    def cmd_collected(self, name, number):
        return bytes(self.collected.get((name, int(number)), b'')).hex() or '-'

    def cmd_bootsim(self, name, seqhex, delay_ms):
        """x.2 of a running board: once the whole entry sequence arrived, reset into download mode."""
        sequence = bytes.fromhex(seqhex)

        def on_bytes(data):
            if not data.endswith(sequence[-4:]) or len(data) < len(sequence):
                return False
            def reset():
                time.sleep(int(delay_ms) / 1000.0)
                with self.lock:
                    self.cmd_remove(name)
                    time.sleep(0.05)
                    self.cmd_board(name, 'download')
            threading.Thread(target=reset, daemon=True).start()
            return True
        self._collect(name, 2, on_bytes)
        return 'armed'


def main():
    station = Station()
    station.lock = threading.Lock()
    print('root', station.tb.get_root_dir(), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == 'quit':
            print('ok bye', flush=True)
            break
        handler = getattr(station, 'cmd_' + words[0], None)
        try:
            if handler is None:
                raise ValueError('unknown command ' + words[0])
            with station.lock:
                answer = handler(*words[1:])
            print('ok', answer, flush=True)
        except Exception as e:  # report, keep serving
            print('err %s: %s' % (type(e).__name__, e), flush=True)


if __name__ == '__main__':
    main()
