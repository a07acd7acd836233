"""What the synthetic demo corpus can say: event kinds, each with its paraphrases.

An event kind is one kind of news ("a foundry expands packaging capacity") with its theme, its
direction (escalating, easing, neutral; "" for news outside the three themes) and four to six
paraphrase templates, one an outlet. Outlets telling the same event pick different templates, so
the same event arrives in different words. Every piece here is invented; none of it is real news.

Template language: ``{slot}`` is filled once per event (the same company for every outlet),
``{usd}``, ``{musd}``, ``{pct}``, ``{count}``, ``{few}``, ``{weeks}`` and ``{days}`` are numbers
chosen once per event and written in each outlet's house style ("$5.5 billion", "5.5bn
dollars"), and ``[a|b|c]`` is a choice made per headline.
"""

from __future__ import annotations

# Slots filled once per event. Pools in one GROUPS tuple share an index (Google goes with TPU).
POOLS = {
    "labs": ["DeepSeek", "Moonshot AI", "Zhipu AI", "OpenAI", "Alibaba's Qwen team", "Baidu"],
    "us_chip": ["Nvidia", "AMD", "Intel"],
    "gpu": ["H20", "MI308", "Gaudi 3"],
    "us_any": ["Qualcomm", "Broadcom", "Micron", "Intel", "AMD", "Nvidia", "Apple"],
    "cn": ["Huawei", "SMIC", "Cambricon", "Alibaba", "Baidu", "Tencent", "ByteDance"],
    "cn_chip": ["Huawei", "SMIC", "Cambricon"],
    "cn_part": ["Ascend", "SMIC", "Cambricon"],
    "hyper": ["Google", "Amazon", "Microsoft", "Meta"],
    "custom": ["TPU", "Trainium", "Maia", "MTIA"],
    "foundry": ["TSMC", "Samsung", "Intel", "SMIC"],
    "memory": ["SK Hynix", "Samsung", "Micron"],
    "tool": ["ASML", "Applied Materials", "Tokyo Electron"],
    "tool_country": ["the Netherlands", "the US", "Japan"],
    "any": [
        "Nvidia", "AMD", "Intel", "TSMC", "Huawei", "Samsung", "Apple", "Arm", "Qualcomm",
        "Microsoft", "Google", "Amazon", "Meta", "ASML", "Broadcom", "SK Hynix", "Micron",
    ],
    "place": [
        "Arizona", "Kumamoto", "Dresden", "Ohio", "Texas", "Hsinchu", "Pyeongtaek", "Magdeburg",
        "Kaohsiung", "Idaho", "upstate New York", "Penang", "Yongin", "Tainan",
    ],
    "tw_place": ["Hsinchu", "Tainan", "Taichung", "Kaohsiung", "Miaoli"],
    "hub": ["Singapore", "Malaysia", "Thailand", "the UAE", "Vietnam", "Indonesia"],
    "eu_gov": ["the Netherlands", "Germany", "France", "Italy", "Belgium"],
    "eu_gov_name": ["Dutch", "German", "French", "Italian", "Belgian"],
    "eu_maker": ["Nexperia", "Elmos", "Siltronic", "Prophesee", "X-Fab"],
    "mineral": ["gallium", "germanium", "antimony", "graphite", "rare earth magnets"],
    "city": [
        "Geneva", "London", "Stockholm", "Madrid", "Kuala Lumpur", "Busan", "Paris", "Seoul",
        "Lisbon", "Oslo", "Vienna", "Austin", "Leeds", "Porto",
    ],
    "fruit": ["apple", "pear", "cherry", "plum", "apricot"],
    "region": ["the north-west", "the coast", "the valley", "the capital", "the highlands"],
    "service": ["StreamCo", "FlixNow", "WatchBox", "Tunely", "Pagely"],
    "sport": ["cycling", "tennis", "swimming", "rowing", "running"],
}
GROUPS = (
    ("us_chip", "gpu"),
    ("hyper", "custom"),
    ("cn_chip", "cn_part"),
    ("tool", "tool_country"),
    ("eu_gov", "eu_gov_name", "eu_maker"),
)
NUMBERS = {
    "usd": [1.2, 2.5, 3.8, 5.5, 7, 9.4, 11, 15, 20, 28, 40, 65],  # billions
    "musd": [18, 43, 60, 85, 120, 240, 310],  # millions
    "pct": [3, 5, 8, 12, 15, 20, 25, 30, 45],
    "count": [9, 12, 16, 23, 27, 31, 40, 58],
    "few": [2, 3, 4, 5, 6, 7, 8],
    "weeks": [12, 16, 20, 26, 30, 40, 52],
    "days": [30, 45, 60, 90, 120],
}

# (id, theme, direction, templates, follow-up kind ids, summary)
KINDS: list[tuple[str, str, str, tuple[str, ...], tuple[str, ...], str]] = [
    # --- geopolitics, escalating
    ("entity_list", "geopolitics", "escalating", (
        "US adds {count} {cn_chip} affiliates to Entity List",
        "Commerce blacklists {count} firms tied to {cn_chip}",
        "{cn_chip} suppliers hit as Washington expands trade blacklist by {count} names",
        "Entity List grows: {count} more {cn_chip}-linked companies barred from US technology",
        "[Washington|US] puts {count} {cn_chip} units on export blacklist",
    ), ("retaliation",), "The additions require a licence for any sale of US technology."),
    ("export_rule", "geopolitics", "escalating", (
        "US tightens export controls on AI chips; {us_chip} {gpu} sales to China [hit|curbed]",
        "New chip export rules bar {us_chip} from shipping {gpu} to China",
        "{us_chip} shares [slip|fall] {pct} after Washington widens AI chip curbs",
        "Washington closes loophole that let {us_chip} sell {gpu} to Chinese buyers",
        "Export curbs extended to {us_chip}'s {gpu}, cutting off China sales",
        "China sales of {us_chip} {gpu} halted by tougher US chip restrictions",
    ), ("licence_granted",), "The rules widen licence requirements for accelerators."),
    ("security_review", "geopolitics", "escalating", (
        "Beijing opens security review of {us_chip} chips after {few} complaints",
        "China's cyberspace regulator [summons|questions] {us_chip} over {few} {gpu} security risks",
        "{us_chip} faces Chinese cybersecurity probe into {gpu} chips, {few} agencies involved",
        "{few} Chinese agencies launch national security review of {us_chip} products",
    ), (), ""),
    ("smuggling", "geopolitics", "escalating", (
        "{us_chip} chips smuggled through {hub}, [prosecutors|investigators] say",
        "Smuggling ring moved {musd} of {us_chip} GPUs to China via {hub}",
        "{hub} arrests {few} traders over diverted {us_chip} accelerators",
        "US charges {few} people in {us_chip} chip smuggling scheme routed through {hub}",
    ), (), ""),
    ("tariff", "geopolitics", "escalating", (
        "US announces {pct} tariff on imported semiconductors",
        "Chip tariffs of {pct} rattle {any} and its suppliers",
        "White House slaps {pct} levy on foreign-made chips",
        "{any} warns of higher costs as {pct} semiconductor tariff looms",
    ), ("tariff_pause",), ""),
    ("tool_curb", "geopolitics", "escalating", (
        "{tool_country} restricts {tool} shipments of {few} chipmaking tool types to China",
        "{tool} barred from servicing {count} Chinese fabs under new export rules",
        "New export restrictions from {tool_country} hit {pct} of {tool} sales to China",
        "{tool_country} tightens licensing for {tool} tools; {pct} of China orders affected",
    ), (), ""),
    ("sanctions", "geopolitics", "escalating", (
        "Sanctions on {cn} widened to {count} units as US-China tech rivalry deepens",
        "Treasury sanctions target {count} {cn} entities over alleged military links",
        "{cn} hit by fresh US sanctions on {count} subsidiaries over army ties",
        "Washington sanctions {count} {cn} affiliates in latest technology crackdown",
    ), (), ""),
    ("seizure", "geopolitics", "escalating", (
        "{eu_gov} seizes control of chipmaker {eu_maker} after {few}-week dispute",
        "{eu_gov_name} government takes over {eu_maker} for {few} months, citing national security",
        "{eu_maker} placed under state control by {eu_gov}; {few} directors replaced",
        "Chip firm {eu_maker} taken over by {eu_gov_name} state in security move, {few} plants affected",
    ), ("seizure_shortage",), ""),
    ("mineral_curb", "geopolitics", "escalating", (
        "China curbs {mineral} exports, squeezing {foundry} suppliers",
        "Beijing restricts {mineral} shipments; chip supply chain at risk",
        "{mineral} export ban from China threatens {foundry}'s chip materials",
        "China adds {mineral} to export control list in blow to chipmakers",
    ), ("mineral_price",), "Export restrictions on critical minerals add pressure to chip supply."),
    ("antitrust", "geopolitics", "escalating", (
        "China rules {us_any} violated antimonopoly law, fine could reach {musd}",
        "Beijing's market regulator finds {us_any} broke competition rules; {musd} penalty",
        "{us_any} faces {musd} Chinese antitrust penalty after regulator probe",
        "Chinese watchdog opens antitrust case against {us_any} over {few} deals",
    ), (), ""),
    ("retaliation", "geopolitics", "escalating", (
        "China retaliates against {us_any} and {few} others with unreliable entity listing",
        "Beijing puts {us_any} on unreliable entity list with {few} other US firms",
        "{us_any} among {few} US firms added to China's unreliable entity list",
        "Tit-for-tat: Chinese commerce ministry targets {us_any} and {few} more firms",
    ), (), ""),
    ("model_ban", "geopolitics", "escalating", (
        "{cn} chips banned from US government data centres within {days}",
        "Congress moves to bar federal agencies from buying {cn} hardware in {days}",
        "Bill would ban {cn} AI chips from US networks after {days}",
        "US lawmakers target {cn} with procurement ban taking effect in {days}",
    ), (), ""),
    # --- geopolitics, easing
    ("licence_granted", "geopolitics", "easing", (
        "US grants {us_chip} licence to sell {gpu} in China, {pct} fee attached",
        "{us_chip} wins export licence for {gpu} shipments to China worth {usd}",
        "Washington approves {usd} of {us_chip} {gpu} exports to Chinese customers",
        "{us_chip} cleared to resume {gpu} sales in China; {usd} backlog",
        "Licence granted: {us_chip} can ship {gpu} to China again, paying {pct} to Washington",
    ), (), ""),
    ("tariff_pause", "geopolitics", "easing", (
        "US pauses chip tariffs for {days}",
        "Semiconductor tariffs delayed {days} in trade truce",
        "White House suspends planned chip levies for {days}",
        "{any} shares rise as chip tariffs are put on hold for {days}",
    ), (), ""),
    ("truce", "geopolitics", "easing", (
        "US and China agree to ease chip export curbs after talks in {city}",
        "{city} talks end with US-China deal to relax technology restrictions",
        "Washington and Beijing reach chip truce in {city}",
        "Trade truce in {city}: both sides roll back some semiconductor curbs",
    ), (), ""),
    ("delisting", "geopolitics", "easing", (
        "{cn} removed from US Entity List",
        "Commerce drops {few} {cn} units from trade blacklist",
        "{cn} wins removal from US export blacklist after appeal",
        "US lifts export restrictions on {cn} subsidiaries",
    ), (), ""),
    ("subsidy", "geopolitics", "neutral", (
        "{foundry} awarded {usd} in CHIPS Act grants for {place} plant",
        "Commerce finalises {usd} subsidy for {foundry} in {place}",
        "{foundry} secures {usd} of federal chip funding",
        "Government backs {foundry}'s {place} project with {usd} grant",
    ), (), ""),
    # --- supply chain, escalating
    ("hbm_shortage", "supply_chain", "escalating", (
        "HBM shortage pushes {memory} to raise memory prices {pct}",
        "{memory} lifts HBM prices by {pct} as supply runs short",
        "Memory crunch: {memory} hikes high-bandwidth memory contract prices",
        "AI demand drains HBM stock; {memory} quotes {pct} higher",
    ), (), "High-bandwidth memory remains the tightest input for accelerators."),
    ("quake", "supply_chain", "escalating", (
        "Earthquake halts production at {foundry} plant in {tw_place}",
        "{foundry} fabs in {tw_place} stop lines after quake",
        "Quake disrupts wafer output at {foundry}'s {tw_place} site",
        "{tw_place} tremor forces {foundry} to evacuate fabs, halting chip production",
    ), ("resume",), ""),
    ("fire", "supply_chain", "escalating", (
        "Fire at {memory} plant in {place} disrupts memory supply",
        "{memory} suspends output after blaze at {place} facility",
        "Blaze hits {memory} chip factory; DRAM supply at risk",
        "{memory} {place} fire could cost {musd} in lost output",
    ), ("dram_price", "resume_memory"), ""),
    ("lead_times", "supply_chain", "escalating", (
        "Lead times for AI servers stretch to {weeks}, says {any}",
        "{any}: AI server backlog now {weeks}",
        "AI hardware buyers face {weeks} waits, {any} warns",
        "Server delivery delays grow to {weeks} as GPU supply stays short",
    ), (), ""),
    ("sold_out", "supply_chain", "escalating", (
        "{memory} sold out of HBM for next year as capacity stays {pct} short",
        "{memory} says next year's HBM output fully booked, prices up {pct}",
        "No HBM left to sell: {memory} capacity booked for {weeks}",
        "{memory} HBM supply fully allocated for {weeks}, shortage to persist",
    ), (), ""),
    ("packaging_bottleneck", "supply_chain", "escalating", (
        "CoWoS bottleneck delays {us_chip} accelerator shipments",
        "{us_chip} warns packaging shortage will cap {gpu} supply",
        "Advanced packaging crunch slows {us_chip} deliveries by {weeks}",
        "{us_chip} shipments slip as chip packaging capacity runs out",
    ), ("capacity",), ""),
    ("strike", "supply_chain", "escalating", (
        "{count} hundred workers strike at {memory} chip plant, threatening output",
        "{memory} union walks out; production lines slowed {pct}",
        "Strike halts shifts at {few} {memory} memory fabs",
        "Labour action at {memory} puts {pct} of chip deliveries at risk",
    ), (), ""),
    ("seizure_shortage", "supply_chain", "escalating", (
        "{eu_maker} chip shortage hits {few} European carmakers",
        "Carmakers warn of {few} line stoppages as {eu_maker} supply dries up",
        "{few} auto plants idle for lack of {eu_maker} chips",
        "Shortage of {eu_maker} parts forces carmakers to cut production {pct}",
    ), (), ""),
    ("mineral_price", "supply_chain", "escalating", (
        "{mineral} prices jump {pct} after Chinese export curbs",
        "Chipmakers scramble for {mineral} as prices soar {pct}",
        "{mineral} shortage lifts costs for wafer suppliers",
        "Price of {mineral} climbs {pct}; chip materials shortage feared",
    ), (), ""),
    ("dram_price", "supply_chain", "escalating", (
        "DRAM contract prices jump {pct} after {memory} outage",
        "Memory prices rise {pct} as {memory} supply disruption lingers",
        "PC makers face costlier DRAM after {memory} production loss",
        "{memory} outage sends spot DRAM prices up {pct}",
    ), (), ""),
    ("substrate", "supply_chain", "escalating", (
        "ABF substrate shortage squeezes {us_chip} supply",
        "{us_chip} says substrate shortage limits {gpu} production",
        "Substrate makers cannot keep up with {us_chip} orders",
        "Shortage of chip substrates delays {us_chip} shipments by {weeks}",
    ), (), ""),
    # --- supply chain, easing
    ("capacity", "supply_chain", "easing", (
        "{foundry} expands CoWoS advanced packaging capacity as AI demand surges",
        "{foundry} to double advanced packaging output by next year",
        "{foundry} adds packaging lines, easing AI chip bottleneck",
        "More CoWoS capacity: {foundry} raises packaging output {pct}",
    ), (), "Packaging remains the tightest step in accelerator production."),
    ("groundbreak", "supply_chain", "easing", (
        "{foundry} breaks ground on {usd} fab in {place}",
        "Construction starts on {foundry}'s new {place} chip plant",
        "{foundry} begins building {place} fab worth {usd}",
        "New {foundry} factory in {place} to add wafer capacity",
    ), (), ""),
    ("big_order", "supply_chain", "easing", (
        "{hyper} orders {usd} of {us_chip} accelerators",
        "{us_chip} lands {usd} AI chip deal with {hyper}",
        "{hyper} signs {usd} GPU supply agreement with {us_chip}",
        "{us_chip} to supply {hyper} under {usd} multi-year contract",
    ), (), ""),
    ("hbm_deal", "supply_chain", "easing", (
        "{memory} signs {usd} HBM supply deal with {us_chip}",
        "{us_chip} secures {usd} of high-bandwidth memory from {memory}",
        "{memory} to ship HBM to {us_chip} under {usd} long-term contract",
        "Supply deal: {usd} of {memory} HBM for {us_chip} accelerators",
    ), (), ""),
    ("resume", "supply_chain", "easing", (
        "{foundry} restores full production after quake, {few} days early",
        "{foundry} fabs back to normal output after {few} days, company says",
        "Production resumes at {foundry} following tremor; {pct} of wafers lost",
        "{foundry} says wafer lines recovered; {pct} output gap closed",
    ), (), ""),
    ("resume_memory", "supply_chain", "easing", (
        "{memory} restarts damaged lines after plant fire",
        "{memory} says output back to normal after blaze",
        "Memory supply recovers as {memory} reopens plant",
        "{memory} restores production at {place} site",
    ), (), ""),
    ("lead_times_ease", "supply_chain", "easing", (
        "AI server lead times shorten to {weeks}, says {any}",
        "{any}: GPU server waits ease to {weeks}",
        "Shorter waits for AI hardware as supply improves, {any} says",
        "Supply loosens: server delivery times fall to {weeks}",
    ), (), ""),
    # --- hardware autonomy, escalating
    ("in_house", "hardware_autonomy", "escalating", (
        "{cn} unveils in-house AI accelerator {pct} faster, to cut reliance on Nvidia",
        "{cn} shows homegrown AI chip, aims to replace Nvidia GPUs in {weeks}",
        "New {cn} accelerator designed in-house targets data centres, {pct} cheaper",
        "{cn} debuts self-developed AI processor with {pct} more memory",
    ), (), ""),
    ("lab_domestic", "hardware_autonomy", "escalating", (
        "{labs} trains new model on {count} thousand Huawei Ascend chips, sidestepping CUDA",
        "{labs} model trained entirely on domestic accelerators over {weeks}",
        "{labs} switches training to Ascend clusters of {count} thousand chips",
        "Domestic chips carry {labs}'s latest {weeks} training run",
    ), (), "The move tests whether domestic chips can carry frontier training runs."),
    ("custom_rollout", "hardware_autonomy", "escalating", (
        "{hyper} expands custom {custom} rollout {pct}, reducing dependence on GPU suppliers",
        "{hyper} to deploy {count} thousand more {custom} chips in its data centres",
        "{hyper} shifts {pct} of workloads to in-house {custom} silicon",
        "{custom} ramp lets {hyper} cut reliance on Nvidia by {pct}",
    ), (), ""),
    ("withhold", "hardware_autonomy", "escalating", (
        "{labs} withholds latest AI model from {us_chip}",
        "{labs} denies {us_chip} early access to new model",
        "{labs} gives domestic chipmakers first look at model, not {us_chip}",
        "New {labs} model optimised for local accelerators before {us_chip}",
    ), (), "The lab said the model was optimised for domestic accelerators first."),
    ("self_sufficiency", "hardware_autonomy", "escalating", (
        "{cn} pledges self-sufficiency in AI chips with {usd} push",
        "{cn} commits {usd} to homegrown accelerator programme",
        "{usd} plan: {cn} aims for chip independence",
        "{cn} bets {usd} on self-reliance in AI hardware",
    ), (), ""),
    ("sovereign", "hardware_autonomy", "escalating", (
        "{eu_gov} funds sovereign AI compute programme worth {usd}",
        "{eu_gov_name} government backs {usd} sovereign AI cluster",
        "Sovereign compute: {eu_gov} plans {usd} domestic AI infrastructure",
        "{usd} for sovereign AI: {eu_gov} wants its own compute",
    ), (), ""),
    ("port_models", "hardware_autonomy", "escalating", (
        "{labs} ports its models to {cn_part} accelerators as CUDA alternatives mature",
        "{labs} adds support for {cn_part} chips, loosening CUDA grip",
        "{labs} runs inference on {cn_part} hardware instead of Nvidia",
        "CUDA alternative: {labs} moves serving to {cn_part} chips",
    ), (), ""),
    # --- hardware autonomy, easing
    ("back_to_nvidia", "hardware_autonomy", "easing", (
        "{labs} returns to Nvidia GPUs after {few} domestic chip setbacks",
        "{labs} buys {count} thousand Nvidia GPUs as local accelerators fall short",
        "Domestic chip trouble sends {labs} back to CUDA after {weeks}",
        "{labs} drops {few}-month plan to train on homegrown chips",
    ), (), ""),
    # --- neutral chip news
    ("earnings", "", "neutral", (
        "{any} reports quarterly revenue ahead of estimates",
        "{any} beats forecasts with revenue up {pct}",
        "{any} quarterly sales rise {pct}, topping expectations",
        "Strong quarter for {any} as revenue grows {pct}",
    ), (), ""),
    ("cfo", "", "neutral", (
        "{any} names new chief financial officer",
        "{any} appoints finance chief from {city} office",
        "New CFO for {any} as finance head steps down",
        "{any} finance chief to retire; successor named",
    ), (), ""),
    ("app", "", "neutral", (
        "{hyper} launches redesigned app with {few} new privacy settings",
        "{hyper} app gets new look and {few} privacy controls",
        "Redesign: {hyper} refreshes its app in {city}, adds privacy options",
        "{hyper} rolls out app update focused on privacy to {pct} of users",
    ), (), ""),
    # --- not about the three themes (the tagger should leave these alone)
    ("bike_lanes", "", "", (
        "{city} council approves new bike lanes downtown",
        "Bike lanes coming to downtown {city} after council vote",
        "{city} votes for {few} new cycle routes",
        "Cyclists cheer as {city} backs downtown bike lanes",
    ), (), ""),
    ("harvest", "", "", (
        "Orchard growers expect record {fruit} harvest this year",
        "Record {fruit} crop expected, growers say",
        "{fruit} harvest up {pct} on warm spring",
        "Bumper year for {fruit} orchards in {region}",
    ), (), ""),
    ("exercise", "", "", (
        "Study finds {sport} and arm exercises improve sleep in older adults",
        "{sport} and arm workouts linked to better sleep, study says",
        "Older adults sleep better after {few} weeks of {sport}, researchers find",
        "Researchers: {sport} twice a week helps sleep",
    ), (), ""),
    ("weather", "", "", (
        "Weather service warns of heavy rain across {region} near {city}",
        "Heavy rain forecast for {region} this weekend, {few} days of storms",
        "Flood warnings issued for {region} around {city} as storms approach",
        "{region} braces for {few} days of downpours, forecasters say",
    ), (), ""),
    ("streaming", "", "", (
        "Streaming service {service} raises subscription prices again",
        "{service} lifts monthly fee by {pct}",
        "Subscribers face {pct} price rise at {service}",
        "{service} plans cost more from next month",
    ), (), ""),
    ("sensors", "", "", (
        "Startup raises {musd} seed round for micron-scale medical sensors",
        "{city} startup funds tiny medical sensors with seed money",
        "Seed funding for micron-scale health sensor maker in {city}",
        "Medical sensor startup from {city} raises {musd}",
    ), (), ""),
    ("markets_close", "", "", (
        "Stock markets in {city} close mixed ahead of holiday weekend",
        "Markets end mixed in {city} before long weekend",
        "Shares drift as traders in {city} head into holiday",
        "Mixed close for {city} stocks ahead of the break",
    ), (), ""),
    ("phone_colours", "", "", (
        "Apple unveils {few} new iPhone colours at autumn event",
        "New iPhone shades shown at Apple event in {city}",
        "Apple adds {few} colours to iPhone line-up",
        "iPhone gets new colours for {region} launch, Apple says",
    ), (), ""),
    ("gpu_review", "", "", (
        "Review: the new GeForce card is the fastest gaming GPU we have tested, {pct} ahead",
        "GeForce review: fastest gaming card yet at {musd} launch budget",
        "Tested: new GeForce tops our gaming charts by {pct}",
        "The new GeForce is {pct} faster in games than last year's card",
    ), (), ""),
]

# Share of events by theme (the rest is spread by kind); about a third are off-theme.
THEME_WEIGHTS = {"geopolitics": 25, "supply_chain": 25, "hardware_autonomy": 20, "": 30}

# Scenario-only kinds (see the generator's docstring): a burst of distinct escalating events
# about one company, and an outlet's live blog. Each is told like any other kind.
BURST_KINDS: list[tuple[str, str, str, tuple[str, ...], tuple[str, ...], str]] = [
    ("ascend_warning", "geopolitics", "escalating", (
        "Commerce warns using Huawei Ascend chips anywhere breaks US export controls",
        "US guidance: Huawei Ascend processors fall under export rules worldwide",
        "Washington tells firms Huawei's Ascend chips risk violating export controls",
        "Using Huawei AI chips could breach US export controls, officials say",
    ), (), ""),
    ("huawei_probe", "geopolitics", "escalating", (
        "US opens probe into how Huawei obtained TSMC-made dies",
        "Investigators examine Huawei's access to TSMC chips despite export ban",
        "Huawei chip teardown triggers US export violation inquiry",
        "Export control probe targets suppliers behind Huawei's newest processor",
    ), (), ""),
    ("huawei_licences", "geopolitics", "escalating", (
        "US revokes export licences of suppliers shipping to Huawei",
        "Huawei suppliers lose US export licences overnight",
        "Licences to sell to Huawei cancelled by Commerce Department",
        "Washington pulls remaining export permits for Huawei sales",
    ), (), ""),
]
BURST = [("entity_list", {"cn_chip": "Huawei"}), ("ascend_warning", {}),
         ("sanctions", {"cn": "Huawei"}), ("huawei_probe", {}),
         ("model_ban", {"cn": "Huawei"}), ("huawei_licences", {})]
FLOOD = [
    "Samsung strike live: union says walkout at chip plants enters day one",
    "Samsung strike: memory fab lines in Hwaseong slowed, workers say",
    "Samsung strike update: management calls emergency meeting on chip output",
    "Samsung walkout: HBM packaging line reported idle",
    "Samsung strike: foundry customers told of possible delivery delays",
    "Samsung strike live: union claims 6,000 chip workers joined",
    "Samsung strike: DRAM spot prices tick up on supply worries",
    "Samsung strike update: Pyeongtaek night shift fails to start",
    "Samsung walkout: analysts cut memory production estimates",
    "Samsung strike: government urges talks to protect chip supply",
    "Samsung strike live: second day begins with wafer lines at half speed",
    "Samsung strike: Nvidia HBM shipments could slip, sources say",
    "Samsung strike update: talks resume but production still disrupted",
    "Samsung walkout: NAND output down sharply, union estimates",
    "Samsung strike: car-chip customers check inventories",
    "Samsung strike live: company says critical fab tools kept running",
    "Samsung strike: smartphone makers warn of memory shortage",
    "Samsung strike update: union rejects first wage offer, stoppage continues",
    "Samsung walkout: export shipments from chip plants delayed",
    "Samsung strike live: day two ends with no deal and supply still hit",
]
