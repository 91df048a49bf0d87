"""Scenarios about the products themselves: faults, quality, repairs, installation."""

from __future__ import annotations

from dataclasses import replace

from bihuan.demo.material.catalogue import APPAREL, DEVICE, INSTALLED, SMART
from bihuan.demo.material.organisation import AFTER_SALES, AFTER_SALES_SERVICE, TECH
from bihuan.demo.material.scenarios import PHOTO_REQUESTS, Scenario
from bihuan.tickets.choices import TicketType

NO_POWER = Scenario(
    key="no_power",
    category=("产品故障", "无法开机"),
    weight=3,
    kind=TicketType.AFTER_SALES,
    upset_kind=TicketType.COMPLAINT,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 40, 40, 20),
    product_traits=(DEVICE,),
    collaboration=TECH,
    collaboration_rate=0.3,
    info_requests=PHOTO_REQUESTS,
    subjects=("{product}无法开机", "新买的{product}开不了机", "{product}{fault}"),
    calm=(
        "你好，我的{product}{fault}，买了才{days}天，请问怎么处理？订单{order}。",
        "您好，{product}昨天还好好的，今天{fault}，充电器也换过了，麻烦看一下。",
    ),
    upset=("刚买{days}天的{product}就{fault}，这质量也太差了吧，订单{order}。",),
    angry=(
        "花{amount}买的{product}，用了{days}天就开不了机！你们卖的是不是翻新机？必须给我换新的！",
        "第二台了，又是{fault}！我要求换新并赔偿，不然就去网上曝光！",
    ),
    asks=(
        "{title}您好，我是{agent}。给您添麻烦了，先请您试一下：长按电源键15秒强制重启，"
        "再用原装充电器充电30分钟后开机，看看是否能恢复？",
        "{title}您好，非常抱歉。请问{product}开不了机之前有没有摔过或进水？"
        "方便的话拍一段按电源键的视频给我，我帮您判断一下。",
    ),
    needs=("{product}{fault}，购买{days}天，强制重启无效，客户要求换新。",),
    details=(
        "试过了，还是不行，没摔过也没进水。",
        "视频已经发了，按电源键一点反应都没有。",
        "在七天内，我要求直接换新的。",
    ),
    progress=(
        "{title}，根据您的描述初步判断是主板供电问题，已经为您申请换新，"
        "{due}前安排快递上门取件并同时发出新机。",
        "已将视频转给技术同事分析，{due}前给您检测结论，期间有任何问题随时找我。",
    ),
    solutions=("确认为主板供电故障，属七天内质量问题，已为客户换新{product}，上门取回故障机。",),
    solution_replies=(
        "{title}您好，检测确认是主板故障，属于质量问题，新的{product}已经给您发出，"
        "快递员会同时上门取回故障机，不需要您付任何费用。",
    ),
    notes=("同批次已有3例同类故障，已反馈质量部门。", "客户已按指引强制重启，无效。"),
    mention_notes=(
        "@{colleague} 客户的{product}{fault}，视频在附件里，麻烦帮忙判断是否需要返厂。",
    ),
    department_notes=(
        "@{agent_username} 看了视频，是电源管理芯片的问题，直接换新，不用返厂检测了。",
    ),
    commitments=(("{hours}小时内给出检测结论", 24), ("{hours}小时内发出换新机", 48)),
)

NO_POWER_FIRMWARE = replace(
    NO_POWER,
    key="no_power_firmware",
    weight=1.5,
    emotions=(0, 55, 35, 10),
    collaboration_rate=0.6,
    subjects=("{product}升级后开不了机", "{product}更新固件后卡在启动画面"),
    calm=("你好，{product}昨晚自动升级了固件，今天开机一直卡在启动画面，怎么办？",),
    upset=("{product}升级到新固件就开不了机了，你们的更新是不是有问题？",),
    angry=("一个系统更新把{product}搞成砖头了！{amount}买的，你们必须负责！",),
    needs=("{product}升级固件后卡在启动画面无法开机，客户要求恢复使用。",),
    details=("试过了，还是卡在启动画面。", "视频已经发了。"),
    progress=(
        "{title}，技术同事确认是固件升级的已知问题，恢复方法{due}前发给您，期间有问题随时找我。",
    ),
    solutions=(
        "{version}固件升级中断导致无法开机，已指导客户进入恢复模式重刷固件，恢复正常，赠送延保半年。",
    ),
    solution_replies=(
        "{title}，按技术同事的方法进入恢复模式重新刷固件后就能正常开机了，"
        "另外给您的设备赠送了半年延保，给您添麻烦了。",
    ),
    mention_notes=(
        "@{colleague} 同批次{product}升级后无法开机的单子又来了一个，麻烦看一下是不是固件问题。",
    ),
    department_notes=(
        "@{agent_username} 是{version}固件升级中断的已知问题，让客户按恢复模式刷机即可，"
        "步骤我发知识库了。",
    ),
    commitments=(("{hours}小时内提供恢复方法", 24),),
)

APP_BUG = Scenario(
    key="app_bug",
    category=("产品故障", "功能异常"),
    weight=2.5,
    kind=TicketType.AFTER_SALES,
    upset_kind=TicketType.COMPLAINT,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 50, 38, 12),
    product_traits=(SMART,),
    collaboration=TECH,
    collaboration_rate=0.5,
    subjects=("升级{version}后{product}蓝牙老是断开", "{product}连接App后频繁断连"),
    calm=(
        "你好，App升级到{version}之后，{product}蓝牙经常自动断开，需要重新连接，是设置的问题吗？",
        "您好，我的{product}最近老是和手机断开连接，重启过也没用，App版本是{version}。",
    ),
    upset=("升级到{version}之后{product}就一直断连，你们的更新是不是有问题？用着太闹心了。",),
    angry=("{amount}买的{product}，天天断连，客服教的方法全都试了没用，你们到底能不能修好？",),
    asks=(
        "{title}您好，我是{agent}。想先了解一下：断连是从什么时候开始的？"
        "您的手机型号方便告诉我吗？",
        "{title}您好，抱歉给您带来困扰。请您先在App里点“我的-帮助-上传日志”，"
        "我让技术同事帮您分析原因。",
    ),
    needs=("客户的{product}在App {version}下频繁蓝牙断连，要求排查修复。",),
    details=(
        "上周升级之后开始的，手机是华为Mate 60。",
        "日志已经上传了。",
        "恢复出厂设置也试过了，还是一样。",
    ),
    progress=(
        "{title}，日志已经转给技术同事分析，{due}前给您答复。",
        "技术同事确认是兼容性问题，修复版本正在测试，预计{due}前推送。",
    ),
    solutions=("确认为{version}版本蓝牙重连缺陷，已推送修复版本，客户升级后恢复正常。",),
    solution_replies=(
        "{title}您好，修复版本已经推送了，您把App升级到最新版、设备固件也升级一下，问题就能解决。",
    ),
    notes=("客户手机为鸿蒙系统，可能是兼容性问题。", "已收到客户上传的日志。"),
    mention_notes=(
        "@{colleague} 客户的{product}升级{version}后频繁断连，日志已上传，麻烦帮忙分析一下。",
    ),
    department_notes=("@{agent_username} 已定位，是{version}的蓝牙重连逻辑问题，修复版今晚发布。",),
    commitments=(("{hours}小时内反馈日志分析结果", 24), ("修复版本发布后通知客户", 72)),
)

NETWORK_SETUP = replace(
    APP_BUG,
    key="network_setup",
    weight=2,
    product_traits=(SMART,),
    emotions=(0, 60, 32, 8),
    quick_rate=0.3,
    subjects=("{product}配网失败，提示{error}", "{product}一直显示离线", "App绑定不了{product}"),
    calm=(
        "你好，绑定{product}的时候App提示{error}，试了好几次都不行。",
        "您好，我的{product}在App里一直显示设备离线，家里Wi-Fi是正常的。",
    ),
    upset=("{product}配网配了一个晚上都没成功，说明书写得也不清楚。",),
    angry=("买个{product}连网都连不上，提示{error}，我要退货！",),
    needs=("客户的{product}无法配网（提示{error}），要求协助完成绑定。",),
    details=("路由器是双频的，名字一样。", "试过重启路由器了。"),
    progress=("{title}，技术同事正在看您的配网日志，{due}前给您答复。",),
    solutions=("路由器5G与2.4G同名导致配网失败，指导客户切换2.4G网络后绑定成功。",),
    solution_replies=(
        "{title}，{product}目前只支持2.4G网络，您在路由器里把2.4G单独命名后重新配网就可以了，"
        "刚才远程看已经绑定成功了。",
    ),
    mention_notes=("@{colleague} 绑定报错{error}的客户越来越多了，这周已经第5单，麻烦看一下。",),
    department_notes=("@{agent_username} 日志看是路由器5G频段不兼容，让客户切到2.4G重新配网。",),
    commitments=(("{hours}小时内远程协助配网", 24),),
)

HARDWARE_FAULT = replace(
    APP_BUG,
    key="hardware_fault",
    weight=2,
    product_traits=(DEVICE,),
    collaboration=AFTER_SALES,
    collaboration_rate=0.4,
    info_requests=PHOTO_REQUESTS,
    subjects=("{product}{symptom}", "{product}使用异常", "{product}用了{days}天就出问题"),
    calm=(
        "你好，{product}{symptom}，是不是坏了？",
        "您好，我的{product}最近{symptom}，重启过也没用，请帮忙看看。",
    ),
    upset=("{product}{symptom}，已经好几天了，影响正常使用。",),
    angry=("{amount}买的{product}，{symptom}，这东西就是残次品！要求换新！",),
    asks=(
        "{title}您好，我是{agent}。抱歉给您带来困扰，麻烦您拍一段问题的视频发给我，"
        "如果确认是硬件问题直接为您换新。",
    ),
    needs=("{product}{symptom}，疑似硬件故障，客户要求换新。",),
    details=("视频已经发了。", "恢复出厂设置也试过了，还是一样。"),
    progress=("{title}，已经为您申请换新，{due}前安排快递上门取件并发出新机。",),
    solutions=("判定为硬件故障，已为客户换新{product}，旧机上门取回。",),
    solution_replies=(
        "{title}，技术同事判断是硬件故障，新的{product}已经发出，快递员会同时上门取回旧机。",
    ),
    mention_notes=(
        "@{colleague} 客户的{product}{symptom}，视频在附件，麻烦判断一下是否硬件故障。",
    ),
    department_notes=("@{agent_username} 看了视频，是硬件问题，直接走换新。",),
    commitments=(("{hours}小时内发出换新机", 48),),
)

QUALITY = Scenario(
    key="quality",
    category=("产品故障", "质量问题"),
    weight=2.5,
    kind=TicketType.AFTER_SALES,
    upset_kind=TicketType.COMPLAINT,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 35, 45, 20),
    product_traits=(APPAREL,),
    collaboration=AFTER_SALES,
    collaboration_rate=0.25,
    info_requests=PHOTO_REQUESTS,
    subjects=("{product}{quality}", "{product}质量问题，要求退款", "刚收到的{product}就{quality}"),
    calm=(
        "你好，{product}{quality}，买了{days}天，可以退吗？订单{order}。",
        "您好，收到的{product}{quality}，照片发给你们看一下，想退款。",
    ),
    upset=(
        "{product}才用了一次就{quality}，这个价格不应该是这样的质量，我要退货。",
        "{product}{quality}，和宣传的完全不一样，很失望。",
    ),
    angry=("{amount}的{product}，{quality}，你们就卖这种东西？我要退货并且要求赔偿！",),
    asks=(
        "{title}您好，我是{agent}，给您带来不好的体验实在抱歉。麻烦您拍几张问题部位的照片，"
        "我这边马上为您申请质量问题退货退款，运费由我们承担。",
    ),
    needs=("{product}{quality}，客户要求质量问题退货退款，订单{order}，金额{amount}。",),
    details=("照片已经发了。", "好的，麻烦尽快安排取件。"),
    progress=("已为您申请质量问题退货，快递{due}前上门取件，运费由我们承担。",),
    solutions=("确认质量问题，已为客户退货退款{amount}并补偿{coupon}优惠券。",),
    solution_replies=(
        "{title}您好，质量问题的退款{amount}已经办理，另外补偿您{coupon}优惠券，非常抱歉。",
    ),
    notes=("同款本月质量投诉较多，已汇总给品控。",),
    mention_notes=("@{colleague} {product}{quality}，同款已有多起反馈，麻烦品控看一下这一批次。",),
    department_notes=("@{agent_username} 这批面料有问题，已下架，客户直接退款处理。",),
    commitments=(("{hours}小时内完成退货审核", 24),),
)

QUALITY_REPLACE = replace(
    QUALITY,
    key="quality_replace",
    weight=1.5,
    emotions=(0, 55, 40, 5),
    subjects=("{product}{quality}，想换一件", "申请更换：{product}"),
    calm=("你好，{product}{quality}，挺喜欢这个款式的，能给我换一件新的吗？",),
    upset=("{product}{quality}，换一件吧，希望这次质量好一点。",),
    angry=("{product}{quality}！换一件新的，再有问题我就直接投诉了！",),
    asks=(
        "{title}您好，我是{agent}，非常抱歉。可以为您换一件新的，麻烦先拍几张问题部位的照片给我。",
    ),
    needs=("{product}{quality}，客户要求换新，订单{order}。",),
    details=("照片已经发了，同款同色同尺码就行。",),
    progress=("已为您申请换新，新的{product}{due}前发出，快递员会把有问题的那件取回。",),
    solutions=("确认质量问题，已为客户换新{product}，运费我方承担。",),
    solution_replies=(
        "{title}，新的{product}已经发出，快递员会把有问题的那件取回，运费由我们承担。",
    ),
    commitments=(("{hours}小时内发出换新商品", 24),),
)

REPAIR = Scenario(
    key="repair",
    category=("售后维修", "保修维修"),
    weight=3,
    kind=TicketType.AFTER_SALES,
    upset_kind=TicketType.COMPLAINT,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 60, 33, 7),
    product_traits=(DEVICE,),
    collaboration=AFTER_SALES,
    collaboration_rate=0.6,
    subjects=("{product}申请保修", "{product}寄修进度查询", "保修期内{product}维修"),
    calm=(
        "你好，{product}还在保修期内，{symptom}，想申请维修，要怎么寄？",
        "您好，我的{product}寄修{days}天了，想问下修好了没有？",
    ),
    upset=("{product}寄修已经{days}天了，一点消息都没有，什么时候能修好？",),
    angry=("{product}寄修半个月了，问了三次都说在排队，到底什么时候能修好？",),
    asks=(
        "{title}您好，我是{agent}。{product}在保修期内可以免费维修，我帮您预约上门取件，"
        "同时查一下维修中心的排期。",
    ),
    needs=("{product}保修期内送修，客户要求尽快修好寄回。",),
    details=("明天下午在家。", "好的，尽快吧。", "地址不变，电话尾号{phone_tail}。"),
    progress=(
        "{title}，维修中心已收到您的{product}，检测后会在{due}前修好寄回。",
        "已帮您催了维修中心，预计{due}前修好发出。",
    ),
    solutions=("维修中心已更换主板，{product}修复寄回，{courier}单号{tracking}，额外延保3个月。",),
    solution_replies=(
        "{title}您好，您的{product}已经修好寄回了，{courier}单号{tracking}，这次维修额外延保3个月。",
    ),
    notes=("维修中心排队较多，预计3-5天。",),
    mention_notes=("@{colleague} 客户的{product}寄修{days}天了，麻烦帮忙查一下维修进度。",),
    department_notes=("@{agent_username} 已修好，更换了主板，明天寄出。",),
    commitments=(("{hours}小时内反馈维修进度", 24), ("维修完成后{hours}小时内寄回", 48)),
)

REPAIR_REPEAT = replace(
    REPAIR,
    key="repair_repeat",
    weight=1.5,
    kind=TicketType.COMPLAINT,
    emotions=(0, 10, 50, 40),
    collaboration_rate=0.8,
    subjects=("维修后{product}还是{symptom}", "二次返修，要求换新", "修了两次还没修好"),
    calm=("你好，{product}修好寄回来之后还是{symptom}，能换一台吗？",),
    upset=("修好寄回来的{product}还是{symptom}，白等了两个星期。",),
    angry=("维修了两次还是{symptom}，我不修了，要求直接换新！",),
    asks=(
        "{title}您好，我是{agent}，非常抱歉让您反复折腾。我马上申请评估换新，先跟您确认一下故障情况。",
    ),
    needs=("{product}多次维修仍{symptom}，客户要求直接换新。",),
    details=("还是一样的问题，用不到半天就出现。", "不想再修了，直接换吧。"),
    progress=("{title}，换新申请已提交，{due}前给您结果。",),
    solutions=("多次维修未解决，已为客户办理换新{product}。",),
    solution_replies=(
        "{title}，考虑到已经维修过多次，我们直接为您换了一台新的{product}，非常抱歉给您添麻烦了。",
    ),
    mention_notes=("@{colleague} 二次返修，客户要求换新，麻烦评估一下。",),
    department_notes=("@{agent_username} 同意换新，走换新流程吧。",),
    commitments=(("{hours}小时内给出换新结论", 24),),
)

INSTALL = Scenario(
    key="install",
    category=("售后维修", "上门安装"),
    weight=2,
    kind=TicketType.REQUEST,
    upset_kind=TicketType.REQUEST,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 85, 15, 0),
    product_traits=(INSTALLED,),
    collaboration=AFTER_SALES,
    collaboration_rate=0.4,
    quick_rate=0.3,
    subjects=("预约{product}上门安装", "{product}安装时间改约", "咨询{product}安装费用"),
    calm=(
        "你好，{product}已经收到了，想预约上门安装，周末可以吗？",
        "您好，想把{product}的安装时间改到下周二下午。",
    ),
    upset=("安装师傅说要另收费用，不是说免费安装吗？",),
    angry=(),
    asks=("{title}您好，我是{agent}。可以为您预约上门安装，请问您方便的时间是？地址在{city}吗？",),
    needs=("客户要求预约{product}上门安装，地址在{city}。",),
    details=("周六下午2点以后都可以。", "对，地址没变。"),
    progress=("已为您预约{city}网点的师傅，师傅会在{due}前电话联系您确认具体时间。",),
    solutions=("已安排{city}网点师傅上门完成安装，安装免费。",),
    solution_replies=(
        "{title}您好，师傅已经约好了，会按您说的时间上门，安装全程免费，如有收费请直接联系我。",
    ),
    notes=("已和网点确认安装不收费。",),
    mention_notes=("@{colleague} {city}的客户要约周末安装，麻烦协调一下网点。",),
    department_notes=("@{agent_username} 已约好，周六下午师傅上门。",),
    commitments=(("{hours}小时内安排师傅联系客户", 24),),
)

INSTALL_MISSED = replace(
    INSTALL,
    key="install_missed",
    weight=1,
    kind=TicketType.COMPLAINT,
    upset_kind=TicketType.COMPLAINT,
    emotions=(0, 10, 50, 40),
    collaboration_rate=0.7,
    quick_rate=0.0,
    subjects=("安装师傅一直没联系我", "师傅爽约，要求说法"),
    calm=("你好，预约了{order_date}上门安装{product}，师傅还没联系我，麻烦问一下。",),
    upset=("预约了{order_date}上门安装，师傅到现在都没联系我，请了一天假白等。",),
    angry=("第二次爽约了！师傅说来不来，我请假在家等了一整天，你们必须给个说法！",),
    asks=("{title}，非常抱歉让您白等了，我是{agent}，我马上联系当地网点核实，今天给您答复。",),
    needs=("师傅爽约，客户要求改派师傅按约定时间上门安装{product}并给予补偿。",),
    details=("明天上午可以，这次一定要准时。",),
    progress=("{title}，已经联系{city}网点改派师傅，{due}前师傅会电话联系您确认时间。",),
    solutions=("网点爽约，已改派师傅上门完成安装，并补偿{coupon}优惠券。",),
    solution_replies=("{title}，实在抱歉，已经改派其他师傅明天上门，另外补偿您{coupon}优惠券。",),
    notes=("该网点本月已有两次爽约记录。",),
    mention_notes=("@{colleague} {city}网点又爽约了，麻烦改派师傅，客户明天必须装好。",),
    department_notes=("@{agent_username} 已改派，师傅明天上午10点上门。",),
)

SCENARIOS = (
    NO_POWER,
    NO_POWER_FIRMWARE,
    APP_BUG,
    NETWORK_SETUP,
    HARDWARE_FAULT,
    QUALITY,
    QUALITY_REPLACE,
    REPAIR,
    REPAIR_REPEAT,
    INSTALL,
    INSTALL_MISSED,
)
