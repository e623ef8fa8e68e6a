import Foundation

/// Which EC618 V1112 build a simulated board runs. The non-_FULL build defines
/// `LUAT_EC618_LITE_MODE` and drops modules such as `miniz` (luatos-soc-2022
/// `project/luatos/inc/luat_conf_bsp.h` at the V1112 bump 4c3ba008).
public enum FirmwareBuild: String, Sendable, Equatable, CaseIterable {
    /// `LuatOS-SoC_V1112_EC618_FULL.soc`: every module of the manifest.
    case full
    /// `LuatOS-SoC_V1112_EC618.soc`: the manifest without its `full:` lines.
    case lite

    /// The build a `.soc` holds, told by its script region: the _FULL build keeps 128 KiB for
    /// scripts, the lite (`LUAT_EC618_LITE_MODE`) and TTS builds 448 or 64 KiB
    /// (`info.json` `rom.fs.script.size`, spec luatos-formats §1.6.1, from luatos-soc-2022
    /// `xmake.lua`).
    public init(scriptRegionBytes: Int) {
        self = scriptRegionBytes == Self.fullScriptRegionBytes ? .full : .lite
    }

    public static let fullScriptRegionBytes = 128 * 1024
}

/// The built-in Lua modules of the EC618 V1112 firmware, as data: module and member names
/// (functions, then constants with their values). The simulated runtime builds every module from
/// it: a member listed here that the simulator does not model is a no-op that logs
/// `W/sim not modelled: m.f` once; a member or module not listed is `nil`, as it is on the board
/// (built-in modules are rotables: `luat/include/rotable2.h`).
///
/// Format, one module a line: `module: f1 f2 | CONST=1 CONST2=-2`; a line prefixed `full:` is
/// a module present only in the _FULL build; `#` starts a comment. A constant without `=value`
/// has a value the sources did not settle; the runtime gives it 0.
///
/// Embedded as a string literal (the runtime binary is copied alone into a QEMU initramfs, so no
/// resource bundle). Extracted from the LuatOS C rotables (the text's own header lists every file):
/// openLuat/luatos-soc-2022 `project/luatos/inc/luat_conf_bsp.h` (which modules a build enables,
/// LUAT_EC618_LITE_MODE), `project/luatos/src/luat_base_ec618.c` (`loadedlibs[]`),
/// `project/luatos/xmake.lua`; openLuat/LuatOS `luat/modules/luat_lib_*.c`, `components/*/luat_lib_*.c`
/// (fskv, mobile, network/adapter, network/libhttp, mqtt, websocket, ftp, sms, errdump, wlan, iotauth,
/// rsa, miniz, lua-cjson, protobuf, multimedia, libgnss, sfud, fatfs, w5500, hmeta, lora, fonts),
/// `lua/src/{lstrlib.c,liolib.c,loslib.c,lbitlib.c}`, `script/corelib/{sys.lua,sysplus.lua}`.
/// Only stored copies near V1112 (2024–2025) could be read; members the text marks uncertain are kept.
/// The zbuff SEEK_* values (stdio's 0/1/2) were added here.
enum FirmwareAPIManifest {
    static let ec618V1112 = #"""
# EC618 (Air780E) LuatOS V1112 module manifest -- names only, built from rotables in C sources (and sys/sysplus Lua).
# files read (stored copies; exact V1112 / e06fbba commits were NOT retrievable, nearest stored versions used):
#   openLuat/luatos-soc-2022 project/luatos/inc/luat_conf_bsp.h (V1104 005e7268, V1106 c7984f72) + a V1113 copy (find_string id 21538647644)
#   openLuat/luatos-soc-2022 project/luatos/src/luat_base_ec618.c (86630c70: loadedlibs[] / luat_openlibs)
#   openLuat/luatos-soc-2022 project/luatos/xmake.lua (LITE = env LUAT_EC618_LITE_MODE=1 -> LUAT_SCRIPT_SIZE=448/OTA 284), project/luatos/src/luat_main_ec618.c (chip name EC618 / EC618_TTS / EC618_FULL)
#   openLuat/LuatOS luat/modules/luat_lib_{rtos,log,gpio,adc,uart,mcu,pm,wdt,fs,crypto,zbuff,pack,i2c,spi,pwm,rtc,otp,fota,i2s,timer,sensor,ir,eink,lcd,u8g2,...}.c
#   openLuat/LuatOS components/{fskv,mobile,network/adapter(socket),network/libhttp,mqtt,websocket,ftp,sms,errdump,wlan,iotauth,rsa,miniz,lua-cjson,serialization/protobuf,multimedia,libgnss,sfud,fatfs,w5500,bit64,hmeta,lora,fonts}
#   openLuat/LuatOS lua/src/{lstrlib.c,liolib.c,loslib.c,lbitlib.c}, script/corelib/{sys.lua,sysplus.lua}
# build variants: the plain "EC618" release = LUAT_EC618_LITE_MODE (undefs LCD TJPGD LORA IR EINK FONTS LVGL DISP GTFONT FATFS I2CTOOLS SFUD SFD W5500 SOFT_UART MINIZ OTP AMR + USE_U8G2_OPPOSANSM_ENGLISH);
#   "EC618_FULL" has them. Lines prefixed "full:" exist only in the FULL build. "EC618_TTS" = LITE + LUAT_USE_TTS (adds audio.tts, drops codec).
# versions: the rotables read are from stored 2024..2025 copies; members marked "?" in comments may be newer than 2024-08-28.
# aliases set at open time: global fdb = fskv table; global http2 = http table; global bit = bit32 table; sys_pub/sys_send/sys_wait/sys_cw globals from sys.lua.
# not built in (LuatOS script/libs, user must add .lua): libfota libfota2 lbsLoc lbsLoc2 netLed libnet ...
# not in EC618 V1112: wlan.connect wlan.disconnect wlan.mode wlan.setMode wlan.ready wlan.smartconfig wlan.getIP wlan.getInfo wlan.getMac wlan.setMac wlan.powerSave wlan.createAP wlan.staIp wlan.hostname (LUAT_USE_WLAN_SCANONLY) gmssl iconv xxtea ymodem httpsrv camera can tp little_flash ioqueue lvgl disp gtfont sfd fdb(separate lib; fdb is an alias of fskv) lora2 mlx90640 max30102 coremark vmx nes statem profiler mqttcore libcoap dac usb netdrv airui ws2812 onewire sqlite3 ercoap fastlz string.dump os.getenv os.exit os.execute os.tmpname io.popen io.read io.write io.close io.input io.output io.tmpfile log.dump log.record log.uploadConfig fskv.gett
adc: open setRange read get close | ADC_RANGE_3_6=1 ADC_RANGE_1_8=0 ADC_RANGE_3_8 ADC_RANGE_1_2=0 ADC_RANGE_MAX ADC_RANGE_MIN=0 CH_CPU=-1 CH_VBAT=-2 T1=16 T2=32
audio: start write pause stop on play playStop isEnd config vol micVol getError setBus debug pm | RESUME STANDBY SHUTDOWN POWEROFF PCM MP3 WAV AMR AMR_NB AMR_WB MORE_DATA DONE RECORD_DATA RECORD_DONE BUS_DAC BUS_I2S BUS_SOFT_DAC
bit: arshift band bnot bor bxor btest extract lrotate lshift replace rrotate rshift bit set clear isset isclear
bit64: to32 to64 plus minus multi pide shift show strtoll
codec: create info data encode release | MP3 WAV AMR AMR_WB
crypto: md5 sha1 sha256 sha512 hmac_md5 hmac_sha1 hmac_sha256 hmac_sha512 cipher cipher_encrypt cipher_decrypt cipher_list cipher_suites crc16 crc16_modbus crc32 crc8 crc7 trng totp base64_encode base64_decode md_file md checksum hash_init hash_update hash_finish
full:eink: async init setup sleep clear setWin getWin print show rect circle line setFont qrcode bat weather_icon model drawXbm draw setCtx | MODEL_1in02d MODEL_1in54 MODEL_1in54_V2 MODEL_1in54b MODEL_1in54b_V2 MODEL_1in54_V3 MODEL_1in54c MODEL_1in54r MODEL_2in13 MODEL_2in13bc MODEL_2in13d MODEL_2in13_V2 MODEL_2in13b_V3 MODEL_2in66 MODEL_2in66b MODEL_2in7 MODEL_2in7b MODEL_2in9 MODEL_2in9_V2 MODEL_2in9bc MODEL_2in9b_V3 MODEL_2in9d MODEL_3in7 MODEL_4in2 MODEL_4in2bc MODEL_4in2b_V2 MODEL_5in65f MODEL_5in83 MODEL_5in83bc MODEL_5in83_V2 MODEL_5in83b_V2 MODEL_7in5 MODEL_7in5_HD MODEL_7in5_V2 MODEL_7in5bc MODEL_7in5b_HD MODEL_7in5b_V2 font_opposansm8 font_unifont_t_symbols font_open_iconic_weather_6x_t font_opposansm10 font_opposansm12 font_opposansm16 font_opposansm18 font_opposansm20 font_opposansm22 font_opposansm24 font_opposansm32
errDump: dump record config | TYPE_SYS TYPE_USR
full:fatfs: init mount getfree debug config unmount | SPI SDIO RAM USB
full:fonts: get list load
fota: init wait run isDone finish file
fs: fsstat fsize mkdir rmdir mkfs mount umount
fskv: init set get del clr clear stat status iter next sett kvdb_init kv_set kv_get kv_del kv_clr kv_stat kv_iter kv_next
ftp: login command pull push close debug
gpio: setup set get close toggle debounce pulse setDefaultPull count caplevel | NONE LOW=0 HIGH=1 OUTPUT=0 PULLUP=1 PULLDOWN=2 RISING=0 FALLING=1 BOTH=2 HIGH_IRQ LOW_IRQ WAKEUP0 WAKEUP1 WAKEUP2 PWR_KEY
hmeta: model hwver
http: request
i2c: exist setup createSoft send recv transfer writeReg readReg close readDHT12 readSHT30 xfer scan | HSMODE PLUS FAST SLOW
i2s: setup send recv close on txStat play pause stop | MODE_I2S=0 MODE_LSB=1 MODE_MSB=2 MONO_L=0 MONO_R=1 STEREO=2
io: exists fileSize readFile writeFile mkdir rmdir lsdir mkfs lsmount | FILE=0 DIR=1
iotauth: aliyun onenet iotda qcloud tuya baidu
full:ir: sendNEC
json: encode decode | null
full:lcd: init clear fill drawPoint drawLine drawRectangle drawCircle drawQrcode drawStr flush setupBuff autoFlush setFont setDefault getDefault getSize drawXbm close on off sleep wakeup invon invoff cmd data setColor draw rgb565 showImage | font_opposansm8 font_unifont_t_symbols font_open_iconic_weather_6x_t font_opposansm10 font_opposansm12 font_opposansm16 font_opposansm18 font_opposansm20 font_opposansm22 font_opposansm24 font_opposansm32
libgnss: parse isFix getIntLocation getRmc getGsv getGsa getVtg getGga getGll getZda locStr rtcAuto on debug clear bind getTxt casic_aid
log: debug info warn error fatal setLevel getLevel style | LOG_SILENT=7 LOG_DEBUG=1 LOG_INFO=2 LOG_WARN=3 LOG_ERROR=4
full:lora: init set_channel set_txconfig set_rxconfig on send recv mode | SLEEP=0 STANDBY=1
mcu: setClk getClk unique_id ticks hz reg32 x32 tick64 dtick64 setXTAL hardfault iomux ticks2 XTALRefOutput | UART I2C SPI PWM GPIO I2S LCD CAM CAMERA ONEWIRE SDIO
full:miniz: compress uncompress | WRITE_ZLIB_HEADER=4096 COMPUTE_ADLER32=8192 GREEDY_PARSING_FLAG=16384 NONDETERMINISTIC_PARSING_FLAG=32768 RLE_MATCHES=65536 FILTER_MATCHES=131072 FORCE_ALL_STATIC_BLOCKS=262144 FORCE_ALL_RAW_BLOCKS=524288 PARSE_ZLIB_HEADER=1 HAS_MORE_INPUT=2 USING_NON_WRAPPING_OUTPUT_BUF=4
mobile: status imei imsi sn iccid number muid apn ipv6 csq rssi rsrq rsrp snr eci tac enbid flymode simid simPin rtime setAuto getCellInfo reqCellInfo reset dataTraffic config getBand setBand nstOnOff nstInput syncTime vsimInit vsimOnOff | UNREGISTER=0 REGISTERED=1 SEARCH=2 DENIED=3 UNKNOW=4 REGISTERED_ROAMING=5 SMS_ONLY_REGISTERED=6 SMS_ONLY_REGISTERED_ROAMING=7 EMERGENCY_REGISTERED=8 CSFB_NOT_PREFERRED_REGISTERED CSFB_NOT_PREFERRED_REGISTERED_ROAMING CONF_RESELTOWEAKNCELL CONF_STATICCONFIG CONF_QUALITYFIRST CONF_USERDRXCYCLE CONF_T3324MAXVALUE CONF_PSM_MODE CONF_CE_MODE CONF_SIM_WC_MODE CONF_FAKE_CELL_BARTIME CONF_RESET_TO_FACTORY CONF_USB_ETHERNET PIN_VERIFY PIN_CHANGE PIN_ENABLE PIN_DISABLE PIN_UNBLOCK
mqtt: create auth keepalive on connect autoreconn publish subscribe unsubscribe disconnect close ready will debug state | STATE_DISCONNECT STATE_SCONNECT STATE_MQTT STATE_READY
full:otp: read write erase lock
pack: pack unpack
pm: request dtimerStart dtimerStop dtimerCheck dtimerList dtimerWkId force check lastReson shutdown reboot power ioVol wakeupPin | NONE=0 IDLE=1 LIGHT=2 DEEP=3 HIB=4 USB=0 GPS=1 GPS_ANT=2 CAMERA=3 DAC_EN=4 LDO_CTL=7 PWK_MODE=5 WORK_MODE=6 IOVOL_ALL_GPIO=0
protobuf: clear load encode decode
pwm: open close capture
rsa: encrypt decrypt verify sign | MD_MD5 MD_SHA1 MD_SHA224 MD_SHA256
rtc: set get timerStart timerStop setBaseYear timezone
rtos: timer_start timer_stop receive reboot standy buildDate bsp version meminfo firmware setPaths nop autoCollectMem | INF_TIMEOUT=-1 MSG_TIMER
sensor: w1_reset w1_connect w1_write w1_read ds18b20 hx711 cs1237 ws2812b dht1x sc12a ws2812b_pwm ws2812b_spi
full:sfud: init getDeviceNum getDevice getDeviceTable erase chipErase read write eraseWrite mount
sms: send setNewSmsCb autoLong clearLong sendLong
socket: create debug config linkup connect listen accept discon close tx rx read wait state release setDNS sslLog localIP remoteIP adapter sntp ntptm sntp_port | ETH0=5 LWIP_ETH=4 LWIP_STA=2 LWIP_AP=3 LWIP_GP=1 USB=6 LINK ON_LINE EVENT TX_OK CLOSED
spi: setup createSoft close transfer recv send deviceSetup deviceTransfer deviceSend xfer | MSB=1 LSB=0 master=1 slave=0 full=1 half=0 SPI_0=0 SPI_1=1 SPI_2=2 SPI_3=3 SPI_4=4 HSPI_0=5
string: toHex fromHex split toValue urlEncode fromBase64 toBase64 fromBase32 toBase32 startsWith endsWith trim
sys: wait waitUntil waitUntilMsg waitUntilExt taskInit check_task coresume timerStop timerStopAll timerAdvStart timerStart timerLoopStart timerIsActive subscribe unsubscribe publish safeRun run taskInitEx taskDel waitMsg sendMsg cleanMsg taskCB
sysplus: taskInitEx taskDel waitMsg sendMsg cleanMsg taskCB
timer: mdelay udelay
u8g2: begin init close ClearBuffer SendBuffer DrawUTF8 SetFontMode SetFont GetDisplayHeight GetDisplayWidth SetDrawColor DrawPixel DrawLine DrawCircle DrawDisc DrawEllipse DrawFilledEllipse DrawBox DrawFrame DrawRBox DrawRFrame DrawGlyph DrawTriangle SetBitmapMode DrawXBM DrawDrcode | font_opposansm8 DRAW_UPPER_RIGHT=1 DRAW_UPPER_LEFT=2 DRAW_LOWER_LEFT=4 DRAW_LOWER_RIGHT=8 DRAW_ALL=15
uart: write read wait485 tx rx rxClear rxSize rx_size createSoft close on setup exist | Odd=1 Even=2 None=0 ODD=1 EVEN=2 NONE=0 LSB=0 MSB=1 VUART_0=32
full:w5500: init config bind getMac
wdt: init setTimeout feed close
websocket: create on connect autoreconn send close ready headers debug
wlan: init scan scanResult
zbuff: create | SEEK_SET=0 SEEK_CUR=1 SEEK_END=2 HEAP_AUTO HEAP_SRAM HEAP_PSRAM
# zbuff object methods (metatable, not module members): write read clear seek pack unpack get readI8 readI16 readI32 readI64 readU8 readU16 readU32 readU64 readF32 readF64 writeI8 writeI16 writeI32 writeI64 writeU8 writeU16 writeU32 writeU64 writeF32 writeF64 toStr len setFrameBuffer pixel drawLine drawRect drawCircle free copy set query del resize reSize used isEqual toBase64 ; metamethods __len __gc __index(integer -> byte) __newindex
# notes on uncertain members (possibly newer than 2024-08-28 in the copies read): socket.read socket.state, sms.sendLong, libgnss.getTxt libgnss.casic_aid, bit64.strtoll, adc.T1/T2, mcu.ticks2/XTALRefOutput(added 2024-05-17), mobile.vsimInit/vsimOnOff(2024-08-13), audio.micVol/debug/pm, pm.LDO_CTL.
# bit64: LUAT_USE_BIT64 is in the V1113 bsp conf but not the V1106 one -> presence in V1112 not verified.
# sys: the last six (taskInitEx taskDel waitMsg sendMsg cleanMsg taskCB) were merged from sysplus into sys.lua ("-- 并入原本的sysplus"); the date of that merge vs 2024-08 NOT verified. Older sys.lua lacks them (then only sysplus has them).
# sysplus also has field cwaitMt (table); sys.cwaitMt exists in the merged version.
# os: LuatOS adds nothing; device os table = clock date difftime remove rename time.
# io std members kept on device: open type lines ; file handle extra method: fill (zbuff).
# uart.createSoft is registered in both builds; without LUAT_USE_SOFT_UART (LITE) it logs "not support soft uart" and returns nil.
# repl: LUAT_USE_REPL is set in the V1113 conf (serial REPL); not a Lua module.
# u8g2 FULL-only extra constants (USE_U8G2_OPPOSANSM_ENGLISH): font_unifont_t_symbols font_open_iconic_weather_6x_t font_opposansm10 font_opposansm12 font_opposansm16 font_opposansm18 font_opposansm20 font_opposansm22 font_opposansm24 font_opposansm32
"""#

    /// One module of the manifest.
    struct Module: Sendable, Equatable {
        var functions: [String]
        /// Constant name → value (0 where the manifest gives none).
        var constants: [(name: String, value: Int)]
        var fullOnly: Bool

        static func == (a: Module, b: Module) -> Bool {
            a.functions == b.functions && a.fullOnly == b.fullOnly
                && a.constants.map(\.name) == b.constants.map(\.name) && a.constants.map(\.value) == b.constants.map(\.value)
        }
    }

    /// The manifest parsed once: module name → module, in manifest order.
    static let parsed: [(name: String, module: Module)] = parse(ec618V1112)

    /// The modules a build has.
    static func modules(for build: FirmwareBuild) -> [(name: String, module: Module)] {
        parsed.filter { build == .full || !$0.module.fullOnly }
    }

    /// Members a build has only with a compile-time option the release builds leave unset, by
    /// option: `mobile.ecnpicfg` is registered under `#ifdef LUAT_USE_MOBILE_ECNPICFG` in
    /// `components/mobile/luat_lib_mobile.c` (vendor factory scripts on LuatOS test
    /// `type(mobile.ecnpicfg) ~= "function"` because of it); the V1112 rotables read for the
    /// manifest have no such member.
    static let optionalMembers: [String: (module: String, member: String)] = [
        "LUAT_USE_MOBILE_ECNPICFG": ("mobile", "ecnpicfg"),
    ]

    /// The modules a build has with `options` set.
    static func modules(for build: FirmwareBuild, options: Set<String>) -> [(name: String, module: Module)] {
        var modules = self.modules(for: build)
        for option in options.sorted() {
            guard let extra = optionalMembers[option],
                  let index = modules.firstIndex(where: { $0.name == extra.module }),
                  !modules[index].module.functions.contains(extra.member) else { continue }
            modules[index].module.functions.append(extra.member)
        }
        return modules
    }

    static func parse(_ text: String) -> [(name: String, module: Module)] {
        var out: [(name: String, module: Module)] = []
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            line = line.drop(while: { $0 == " " || $0 == "\t" })
            guard !line.isEmpty else { continue }
            var fullOnly = false
            if line.hasPrefix("full:") {
                fullOnly = true
                line = line.dropFirst(5).drop(while: { $0 == " " })
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { continue }
            let rest = line[line.index(after: colon)...]
            let halves = rest.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            let functions = halves.first.map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) } ?? []
            var constants: [(name: String, value: Int)] = []
            if halves.count > 1 {
                for word in halves[1].split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                    let parts = word.split(separator: "=", maxSplits: 1)
                    let cname = String(parts[0])
                    var value = 0
                    if parts.count > 1 {
                        let v = parts[1]
                        if v.hasPrefix("0x") || v.hasPrefix("0X") { value = Int(v.dropFirst(2), radix: 16) ?? 0 }
                        else if v.hasPrefix("-0x") { value = -(Int(v.dropFirst(3), radix: 16) ?? 0) }
                        else { value = Int(v) ?? 0 }
                    }
                    constants.append((cname, value))
                }
            }
            if let i = out.firstIndex(where: { $0.name == name }) {
                // A module named twice (e.g. once per build) merges its members.
                out[i].module.functions += functions.filter { !out[i].module.functions.contains($0) }
                out[i].module.constants += constants.filter { c in !out[i].module.constants.contains { $0.name == c.name } }
            } else {
                out.append((name, Module(functions: functions, constants: constants, fullOnly: fullOnly)))
            }
        }
        return out
    }
}
