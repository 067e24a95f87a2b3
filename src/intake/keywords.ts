import type { SymptomCategory } from "../diagnosis/types.js";

/**
 * Keyword patterns per symptom category, English and Chinese. They describe how people talk about
 * a kind of failure in general (not particular sentences), and are matched against one clause of
 * lower-cased text at a time. English patterns use word boundaries; Chinese has no spaces, so its
 * patterns are plain substrings.
 */
export const CATEGORY_PATTERNS: Record<SymptomCategory, RegExp[]> = {
  large_packets: [
    /\b(large|big|bigger|huge|jumbo|full[- ]size[d]?)\s+(packets?|pings?|frames?|files?|transfers?|payloads?|downloads?|uploads?|requests?|responses?)\b/,
    /\bmtu\b/,
    /\bfragment(s|ed|ation)?\b/,
    /\bping\s+-s\s*\d+/,
    /\b(packet|payload|frame)\s+size\b/,
    /\b(small|tiny)\s+(packets?|pings?)\s+(work|works|ok|fine|go|pass)/,
    /\b(ssh|scp|rsync|https?|tls|git|curl|wget)\b.*\b(hangs?|hanging|stalls?|stalling|stuck|freezes?)\b/,
    /\bdf\b.*\bping\b|\bping\b.*\b-m\s+do\b/,
    /\b(larger|bigger|over|above|more than)\s+(than\s+)?\d{3,5}\s*(bytes?|b)\b|\b\d{4,5}[- ]byte\b/,
    /大包|小包.{0,6}通|巨帧|分片|报文.{0,4}(大|长)|(大|长)报文|传.{0,4}大文件|大文件|(ssh|scp|https?|sftp|git).{0,12}(卡住|卡死|挂起|无响应|没反应)/,
  ],
  intermittent: [
    /\bintermittent(ly)?\b/,
    /\bflap(s|py|ping)?\b/,
    /\bon and off\b|\bon-and-off\b|\bcomes? and goes?\b|\bcoming and going\b/,
    /\bsometimes\b|\bsporadic(ally)?\b|\brandom(ly)?\b|\boccasional(ly)?\b|\bnow and then\b|\bfrom time to time\b/,
    /\b(packet|ping)s?\s+loss\b|\blosing packets\b|\bdrops? out\b|\bdisconnects?\b|\bkeeps? dropping\b/,
    /\bunstable\b|\bunreliable\b|\bflaky\b|\bevery (few|couple of)\b/,
    /时断时续|断断续续|时通时不通|时好时坏|间歇|偶尔|偶发|不稳定|丢包|闪断|经常断|老是断|一会儿?通一会儿?不通/,
  ],
  slow: [
    /\bslow(ly|ness)?\b|\bsluggish\b/,
    /\b(high|huge|big)\s+(latency|ping|rtt|delay)\b|\blatency\b|\blag(gy|s|ging)?\b/,
    /\b(low|poor|bad)\s+(throughput|bandwidth|speed|performance)\b|\bthroughput\b/,
    /\btakes? (ages|forever|long)\b/,
    /慢|延迟|延时|卡顿|很卡|网速|带宽低|速度低|吞吐/,
  ],
  no_ip: [
    /\b(no|without|missing)\s+(an?\s+)?(ip|ipv4|address|dhcp lease|lease)\b/,
    /\b(get|gets|getting|got|obtain|obtains|receive|receives|acquire|pull|pulls)\s+(an?\s+|any\s+|its\s+)?(ip|ipv4|address|lease|dhcp)\b/,
    /\bdhcp\b/,
    /\b169\.254\.\d+\.\d+\b|\bapipa\b|\blink-local address\b/,
    /(获取|拿|分配|分|得|取|要)(不到|不了)\s*(ip|地址)|没有\s*(ip|地址)|无\s*(ip|地址)|(ip|地址)\s*(获取|分配)?\s*(失败|不到)|dhcp/,
  ],
  // A start or reboot alone is not this category ("after reboot it has no network" is a plain
  // outage): it takes a start AND a sign that it passes (a delay, "then it works").
  after_start: [
    /\b(after|once|when)\s+(it\s+|the\s+(vm|guest|domain|instance)\s+|a\s+(vm|guest)\s+)?(start(s|ing|ed)?|startup|boot(s|ing|ed)?|booting up|reboot(s|ing|ed)?|restart(s|ing|ed)?|power(ed|ing)? on|migrat(ion|ing|ed)|comes? up)\b.*\b(\d+\s*(s|sec|secs|seconds?|min|mins|minutes?)|half a minute|a minute|a while|some time|eventually|then (it )?works?|then (it )?recovers?|starts? working|comes? back|delay(ed)?)\b/,
    /\b(\d+\s*(s|sec|secs|seconds?|min|mins|minutes?)|half a minute|a while|eventually)\b.*\b(after|once|when)\s+(it\s+|(the|a|my)\s+(vm|guest|domain|instance|machine)\s+)?(start|boot|reboot|restart|power on|migrat)\w*\b/,
    /\b(first|initial)\s+(few\s+)?(\d+\s+)?(seconds?|secs?|minutes?|mins?)\b/,
    /\b(just|freshly|newly|recently)\s+(started|booted|rebooted|restarted|created|launched|powered on)\b|\bright after (it |the (vm|guest) )?(starts?|boots?|started|booted)\b/,
    /\b(takes?|took|needs?)\s+(about\s+|around\s+|~)?\d+\s*(s|sec|secs|seconds?)\b.*\b(start|boot|work|come up|connect|reachable|network|answer|respond)/,
    /(刚|刚刚)(启动|开机|重启|起来|迁移)|(启动|开机|重启|迁移)(后|之后|以后|时|完).{0,20}(\d+\s*(秒|分钟)|一会|一段时间|几十秒|半分钟|才|自动恢复|就好|又好|恢复正常)|\d+\s*秒(后|之后|以后|才)|过一会儿?(才|就)(通|好)|(等|过)(一会|一段时间|几十秒|半分钟)/,
  ],
  vm_wont_start: [
    /\b(won'?t|will not|doesn'?t|does not|can'?t|cannot|could not|couldn'?t|fails? to|failed to|unable to|refuses? to)\s+(start|boot|launch|power on|come up)\b/,
    /\b(start|boot|launch)(ing)?\s+(fails|failed|failure|error)\b|\bfailed to start domain\b/,
    /(无法|不能|没法)(启动|开机)|启动(失败|不了|报错)|起不来|开不了机|(开机|启动)不起来/,
  ],
  guest_guest: [
    /\b(vms?|guests?|virtual machines?|instances?|domains?)\b.*\beach other\b/,
    /\bbetween\s+(the\s+|two\s+|my\s+)?(vms|guests|virtual machines|instances|domains)\b/,
    /\b(vm|guest|instance)[- ]to[- ](vm|guest|instance)\b/,
    /\b(another|other|the other|second|neighbou?ring)\s+(vm|guest|virtual machine|instance)s?\b/,
    /\b(vms|guests|virtual machines|instances)\s+(on the same|in the same|sharing)\b/,
    /虚拟机之间|虚机之间|虚拟机互相|虚拟机相互|虚拟机间|互相?.{0,4}(ping|访问|通)|(另一台|另外一台|其他|其它|别的|两台)(虚拟机|虚机|云主机)|互通/,
  ],
  guest_lan: [
    /\b(lan|lans|local network|physical network|office network|corporate network|same subnet|same network segment|upstream switch|switch|router|gateway|default gateway|gw)\b/,
    /\b(other|physical|external|bare[- ]metal)\s+(hosts|machines|servers|boxes|nodes|computers)\b/,
    /\b(the\s+)?(nas|printer|storage server|db server|database server)\b/,
    /局域网|内网|网关|路由器|交换机|物理网络|同网段|(其他|其它|别的|外部|物理)(主机|机器|服务器|设备)/,
  ],
  guest_outside: [
    /\binternet\b|\boutside( world)?\b|\bexternal (networks?|sites?|addresses|world|hosts?)\b|\bonline\b/,
    /\b(public|outside) (ip|address|addresses|network)\b/,
    /\b(apt|apt-get|yum|dnf|pip|npm|docker pull|curl|wget)\b.*\b(fail|fails|failed|hang|hangs|timeout|times out|time out|can'?t|cannot|doesn'?t)\b/,
    /\b(google|baidu|github|8\.8\.8\.8|1\.1\.1\.1|114\.114\.114\.114)\b/,
    /\b(resolve|resolving|dns)\b.*\b(fail|fails|failed|can'?t|cannot|doesn'?t|not|broken|timeout|times out)\b|\b(can'?t|cannot|unable to|fails? to)\s+resolve\b/,
    /域名解析|解析不了|dns.{0,6}(失败|不通|不了)/,
    /\bnat\b|\bmasquerade\b/,
    // "nothing beyond the host works", "can't get past the gateway": the far side of the last hop.
    /\b(beyond|past|outside of|further than)\s+(the\s+|its\s+|this\s+|our\s+)?(own\s+)?(host|hypervisor|gateway|router|nat|local (network|subnet|lan))\b/,
    /上网|外网|公网|互联网|因特网|出网|访问外部|访问百度|ping\s*(百度|baidu)|连不上网|上不了网|出不去/,
  ],
  // Detected by the host/guest word logic in parse.ts; these are the explicit phrasings.
  host_guest: [
    /\bhost[- ]to[- ](vm|guest)\b|\b(vm|guest)[- ]to[- ]host\b|\bhost\s*<?-+>?\s*(vm|guest)\b|\b(vm|guest)\s*<?-+>?\s*host\b/,
  ],
};

/** Words for "the KVM host" (not a naming use like "host kvm01"). */
export const HOST_WORD_EN =
  /\b(host|hypervisor|kvm host|physical host|physical server|bare metal|dom0|node)\b/g;
export const HOST_WORD_ZH = /宿主机|物理机|母机|主机/g;

/** Words for "a guest". */
export const GUEST_WORD =
  /\b(vms?|guests?|virtual machines?|domains?|instances?)\b|虚拟机|虚机|客户机|云主机/;

/** Chinese compounds with 主机 that do not mean the KVM host. */
export const ZH_NON_HOST = /云主机|(其他|其它|别的|外部|物理网络的?|局域网的?|局域网内的?)主机/g;

/** A failure somewhere in the clause. */
export const NEGATIVE =
  /\b(not|no|never|nothing|nobody|none|cannot|can'?t|cant|won'?t|doesn'?t|don'?t|didn'?t|isn'?t|aren'?t|unable|fail(s|ed|ing|ure)?|broken|down|dead|lost|loss|drop(s|ped|ping)?|timeouts?|timed out|times out|unreachable|refused|hangs?|stuck|stalls?|slow|no route|problem|issue|trouble|error|offline)\b|不|没|无|失败|超时|丢|慢|断|卡|异常|问题|故障/;

/** A statement that something works. */
export const POSITIVE =
  /\b(works?|working|worked|ok|okay|fine|succeeds?|successful(ly)?|reachable|is up|(can|could|do|does) (still |also |now )?(ping|reach|ssh|connect|talk|access|answer)|still (reach|reaches|ping|pings|works?|answers?|responds?|talks?)|reaches|answers|responds|no problem|no issues?)\b|正常|没问题|没有问题|可以|能\s*通|是通的|通的|能\s*ping|能\s*访问|能\s*连|ping\s*得通|正常通/;

/** Clause boundaries: punctuation and contrast words, both languages. */
export const CLAUSE_SPLIT =
  /[,;!?，。；！？、\n]+|\.(?:\s+|$)|\b(?:but|however|although|though|while|whereas|yet)\b|但是|但|可是|然而|不过|而且|而/;

/** Host-name-like words that name a host ("kvm01", "hv-7", "node3.lab"), for "did you mean". */
export const HOSTNAME_LIKE = /^[a-z][a-z0-9-]*\d[a-z0-9-]*(\.[a-z0-9-]+)*$/i;

/** Domain words that are poor group names to match from free text ("my kvm guest" ≠ group kvm). */
export const COMMON_WORDS = new Set([
  "kvm",
  "vm",
  "vms",
  "host",
  "hosts",
  "all",
  "guest",
  "guests",
  "network",
  "bridge",
  "libvirt",
  "linux",
  "server",
  "servers",
  "node",
  "nodes",
  "lan",
  "nat",
  "prod",
  "test",
  "dev",
  "web",
  "db",
]);
