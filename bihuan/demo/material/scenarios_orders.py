"""Scenarios about orders: refunds, returns, exchanges and deliveries.

Variants of one situation (a refund not yet shipped, a refund that is late…) are separate
scenarios made with ``dataclasses.replace``, so that a ticket's subject, messages, need and
solution always tell the same story.
"""

from __future__ import annotations

from dataclasses import replace

from bihuan.demo.material.catalogue import SIZED
from bihuan.demo.material.organisation import AFTER_SALES, AFTER_SALES_SERVICE, LOGISTICS
from bihuan.demo.material.scenarios import PHOTO_REQUESTS, Scenario
from bihuan.tickets.choices import Priority, TicketType

REFUND_UNSHIPPED = Scenario(
    key="refund_unshipped",
    category=("退款/退货", "仅退款"),
    weight=4,
    kind=TicketType.REQUEST,
    upset_kind=TicketType.COMPLAINT,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 65, 27, 8),
    quick_rate=0.2,
    subjects=(
        "订单{order}申请仅退款",
        "{product}未发货，申请退款",
        "要求取消订单并退款：{product}（{amount}）",
        "拍错了，申请取消订单{order}",
    ),
    calm=(
        "你好，我{order_date}下单的{product}（订单号{order}）还没发货，现在不想要了，"
        "麻烦帮我直接退款，金额{amount}。",
        "在吗？订单{order}拍错了规格，还没发货，想申请仅退款，麻烦处理一下。",
        "您好，{product}我在别的地方买到了，订单{order}还没发货，麻烦取消退款。",
    ),
    upset=(
        "退款申请被驳回了，理由写得莫名其妙，{product}根本没发货，为什么不能退？订单{order}。",
        "订单{order}还没发货，申请取消却一直显示“商家处理中”，到底能不能退？",
    ),
    angry=(
        "还没发货的订单为什么不给退？订单{order}，{amount}，申请了三次都被驳回，"
        "再不处理我就去12315投诉了！",
    ),
    asks=(
        "您好{title}，我是客服{agent}。我这边看到订单{order}的{product}还未出库，金额{amount}，"
        "您是希望取消订单并全额退款到原支付账户，对吗？",
        "{title}您好，已收到您的退款申请。我先核实一下订单{order}的出库状态，"
        "如果还没出库可以直接为您取消并全额退款。",
    ),
    needs=(
        "客户要求取消未发货订单{order}（{product}），全额退款{amount}，原路退回。",
        "订单{order}未出库，客户申请仅退款{amount}，要求尽快到账。",
    ),
    details=(
        "对，全额退款，原路退回就行。",
        "是的，就是这个订单，麻烦快一点。",
        "对的，钱退回微信就可以，谢谢。",
    ),
    progress=(
        "{title}，已确认订单{order}未出库，取消和退款申请已提交，财务会在{due}前处理完成，"
        "到账时间以银行为准，一般1-3个工作日。",
    ),
    solutions=(
        "订单{order}未出库，已取消并全额退款{amount}，原路退回。",
        "已拦截出库并取消订单{order}，{amount}已原路退回。",
    ),
    solution_replies=(
        "{title}您好，订单{order}已经取消，{amount}已原路退回，预计1-3个工作日到账，"
        "请您留意查收。还有其他问题可以随时联系我。",
        "{title}，仓库那边已经拦截成功，订单取消了，退款{amount}原路退回，请您留意到账通知。",
    ),
    notes=("已核实订单未出库，可直接退款。", "驳回是系统误判为已发货，已反馈运营。"),
    commitments=(("{hours}小时内完成退款审核", 24),),
)

REFUND_LATE = replace(
    REFUND_UNSHIPPED,
    key="refund_late",
    weight=3,
    emotions=(0, 30, 45, 25),
    quick_rate=0.05,
    subjects=(
        "退款{days}天了还没到账",
        "仅退款申请一直显示审核中",
        "催一下退款进度：订单{order}",
        "退款迟迟不到账",
    ),
    calm=(
        "你好，订单{order}我{order_date}申请了退款，到现在还没到账，请问一般要几天？",
        "您好，想问一下订单{order}的退款审核大概多久能通过？已经提交{days}天了。",
    ),
    upset=(
        "订单{order}申请退款已经{days}天了，一直显示处理中，钱什么时候能退回来？",
        "我{order_date}就申请退款了，到现在{amount}还没到账，客服一直说在处理，到底在处理什么？",
    ),
    angry=(
        "说好的48小时内退款，现在都{days}天了！电话打不通，在线客服也不回，太过分了！订单号{order}。",
        "你们到底退不退款？{amount}拖了一个多星期没人管，再不处理我就去12315投诉了！",
    ),
    asks=(
        "{title}您好，我是客服{agent}，很抱歉让您久等了。我马上查一下订单{order}的退款进度，"
        "请您稍等。",
        "{title}您好，我是{agent}。给您添麻烦了，订单{order}的退款我来负责跟进到底，"
        "跟您确认一下：退款金额是{amount}，原路退回，对吗？",
    ),
    needs=("客户订单{order}申请退款{days}天未到账，要求尽快退回{amount}。",),
    details=("对，就是这一笔，{amount}。", "是的，退到原来的银行卡。", "对，麻烦快一点。"),
    progress=(
        "{title}，查到您的退款卡在财务审核环节，已经帮您加急，{due}前一定处理完成。",
        "已联系财务加急处理订单{order}的退款，{due}前给您确定的结果。",
    ),
    solutions=(
        "财务审核积压导致退款延迟，已加急退款{amount}，并补偿{coupon}优惠券致歉。",
        "退款{amount}已加急处理，原路退回，客户已确认到账。",
    ),
    solution_replies=(
        "{title}您好，您的退款{amount}已经处理完成，原路退回，预计1-3个工作日到账。"
        "让您久等了，给您补发了一张{coupon}的优惠券。",
        "{title}，退款{amount}已经加急退回了，银行那边显示处理中，今明两天就能到账。",
    ),
    notes=("财务反馈退款批次已提交，银行处理中。", "客户第二次催退款，已标记优先处理。"),
    commitments=(("{hours}小时内完成退款", 24), ("退款到账后回访客户", 72)),
)

REFUND_PARTIAL = replace(
    REFUND_UNSHIPPED,
    key="refund_partial",
    weight=2,
    kind=TicketType.AFTER_SALES,
    emotions=(0, 60, 35, 5),
    quick_rate=0.1,
    subjects=(
        "{product}少发配件，申请部分退款",
        "申请部分退款{refund_amount}",
        "小瑕疵要求补偿差价",
    ),
    calm=(
        "您好，我买的{product}少发了一个配件，之前客服说可以部分退款{refund_amount}，"
        "请问退款申请在哪里提交？订单号{order}。",
        "你好，{product}有点小瑕疵，不想退货了，能补偿一部分差价吗？订单{order}。",
    ),
    upset=("少发配件说好给我退{refund_amount}，到现在都没退，订单{order}。",),
    angry=("答应的部分退款{refund_amount}拖了一个星期，你们说话算不算数？订单{order}。",),
    asks=(
        "{title}您好，我是{agent}。我确认一下：{product}少发配件，您希望不退货、"
        "部分退款{refund_amount}，对吗？",
        "{title}您好，非常抱歉。麻烦您拍一下收到的商品和瑕疵位置，我帮您申请部分退款。",
    ),
    needs=("订单{order}（{product}）少发配件/有瑕疵，客户不退货，要求部分退款{refund_amount}。",),
    details=("是{refund_amount}，之前的客服已经答应过的。", "对，不退货，退部分款就行。"),
    progress=("{title}，部分退款申请已提交，{due}前退回您的支付账户。",),
    solutions=("已为客户办理部分退款{refund_amount}，并赠送{coupon}无门槛优惠券致歉。",),
    solution_replies=(
        "{title}，部分退款{refund_amount}已经退到您的支付账户了，另外给您补发了一张{coupon}的"
        "优惠券，给您带来不便非常抱歉。",
    ),
    notes=("前一位同事已口头承诺部分退款，按承诺处理。",),
    commitments=(("{hours}小时内完成部分退款", 24),),
)

RETURN_REQUEST = Scenario(
    key="return_request",
    category=("退款/退货", "退货退款"),
    weight=5,
    kind=TicketType.AFTER_SALES,
    upset_kind=TicketType.COMPLAINT,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 75, 22, 3),
    quick_rate=0.25,
    subjects=("{product}申请退货退款", "7天无理由退货：{product}", "订单{order}怎么退货"),
    calm=(
        "你好，{order_date}买的{product}{reason}，想申请退货退款，需要怎么操作？订单号{order}。",
        "您好，我要退货，订单{order}，商品还没拆封，运费谁出？",
    ),
    upset=("{product}{reason}，申请退货被驳回了，明明在7天内，为什么不能退？",),
    angry=("退个货这么麻烦？{product}{reason}，申请了两次都没通过，今天必须给我退！",),
    asks=(
        "{title}您好，我是客服{agent}。您的订单{order}符合7天无理由退货，"
        "我帮您确认一下：{product}{reason}，需要退货并退款{amount}，对吗？",
        "{title}您好，可以为您办理退货。商品未拆封的话退货运费由我们承担，我帮您预约上门取件好吗？",
    ),
    needs=("客户要求{product}退货退款，订单{order}，金额{amount}，原因：{reason}。",),
    details=(
        "对，商品和配件都齐全，吊牌也没拆。",
        "好的，明天上午在家，麻烦安排取件。",
        "对，就是{reason}。",
    ),
    progress=("已帮您预约上门取件，快递员会提前联系您，仓库签收后{due}前给您退款。",),
    solutions=(
        "已安排免费上门取件，仓库签收后退款{amount}已原路退回。",
        "仓库已验收{product}，订单{order}退款{amount}已原路退回，运费由我方承担。",
    ),
    solution_replies=(
        "{title}您好，您寄回的{product}仓库已经验收通过，{amount}已退回原支付账户，"
        "退货运费也由我们承担，请您留意到账。",
    ),
    notes=("客户寄回商品配件齐全，可以走快速退款。",),
    commitments=(("仓库签收后{hours}小时内完成退款", 48),),
)

RETURN_STUCK = replace(
    RETURN_REQUEST,
    key="return_stuck",
    weight=4,
    emotions=(0, 25, 50, 25),
    quick_rate=0.0,
    collaboration=AFTER_SALES,
    collaboration_rate=0.4,
    subjects=("退货已寄回，退款还没到", "退货被拒收，要求说明原因", "仓库签收了却说没收到退货"),
    calm=(
        "你好，{product}已经按要求寄回了，{courier}单号{tracking}，麻烦查收后尽快退款。",
        "您好，退货{days}天前就寄回去了，想问一下仓库收到了吗？订单{order}。",
    ),
    upset=(
        "退货{days}天前就寄回去了，物流显示已签收，为什么退款还没到？订单{order}。",
        "你们仓库说我寄回的{product}有使用痕迹不给退，我根本没用过，这不合理。",
    ),
    angry=(
        "退货寄回去半个月了，钱一分没退！订单{order}，{amount}，你们是不是想赖账？",
        "仓库签收了又说没收到，单号{tracking}明明显示签收了，今天必须给我一个说法！",
    ),
    asks=(
        "您好{title}，我是{agent}。已收到您的退货信息，我这就联系仓库核实{courier}单号{tracking}"
        "的签收和验收情况。",
        "{title}您好，非常抱歉给您带来不好的体验。您寄回的{product}我来负责跟进，先跟您确认一下退货单号。",
    ),
    needs=(
        "客户已寄回商品（{courier} {tracking}），要求仓库尽快验收并退款{amount}。",
        "客户对仓库验收结论有异议，要求重新核验并退款{amount}。",
    ),
    details=("是的，我已经寄回了，单号就是{tracking}。", "对，寄回的时候吊牌都在，我有拍照。"),
    progress=(
        "{title}，已经催仓库优先验收您寄回的{product}，验收通过后会在{due}前完成退款。",
        "已申请仓库复检，{due}前给您复检结论，有结果马上告诉您。",
    ),
    solutions=(
        "仓库已验收{product}，订单{order}退款{amount}已原路退回，运费由我方承担。",
        "复检确认商品无使用痕迹，已为客户办理退款{amount}并补偿{coupon}优惠券。",
    ),
    solution_replies=(
        "{title}您好，您寄回的{product}仓库已经验收通过，{amount}已退回原支付账户，请您留意到账。",
        "{title}，给您带来不好的体验非常抱歉。复检后退款{amount}已经办理，"
        "另外送您一张{coupon}的优惠券，感谢您的理解。",
    ),
    notes=("仓库反馈包裹已签收，待验收。", "验收照片已上传到订单附件。"),
    mention_notes=(
        "@{colleague} 麻烦帮忙查一下退货单号{tracking}的验收结果，客户已经催了两次。",
        "@{colleague} 客户对验收结论有异议，麻烦安排复检，今天下班前给我结论。",
    ),
    department_notes=(
        "@{agent_username} 已复检，商品无使用痕迹，可以退款，之前是验收员看错了批次。",
        "@{agent_username} 包裹昨天已签收入库，验收通过，退款可以发起了。",
    ),
    commitments=(("{hours}小时内反馈验收结果", 24), ("仓库验收后{hours}小时内完成退款", 48)),
)

EXCHANGE = Scenario(
    key="exchange",
    category=("退款/退货", "换货"),
    weight=3,
    product_traits=(SIZED,),
    kind=TicketType.AFTER_SALES,
    upset_kind=TicketType.AFTER_SALES,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 70, 27, 3),
    collaboration=AFTER_SALES,
    collaboration_rate=0.1,
    subjects=("{product}想换个尺码", "申请换货：订单{order}", "{product}尺码不合适，申请换货"),
    calm=(
        "你好，{product}尺码偏小，想换大一码，可以吗？订单{order}。",
        "您好，{product}穿着有点大，能换小一码吗？吊牌还在。",
    ),
    upset=("换货的{product}寄回去{days}天了，新的还没发出来，麻烦查一下。",),
    angry=("换个货都这么费劲？寄回去两个星期了没人理，订单{order}，到底还发不发？",),
    asks=(
        "{title}您好，我是{agent}。可以为您办理换货，来回运费由我们承担。"
        "跟您确认一下需要换成的尺码，以及旧商品是否已经寄回？",
    ),
    needs=("客户要求{product}换货（换尺码），订单{order}，来回运费由我方承担。",),
    details=("换大一码，颜色不变。", "换小一码，旧的已经寄回了，单号{tracking}。"),
    progress=("已经帮您登记换货，仓库会在{due}前发出新商品，发货后会短信通知您单号。",),
    solutions=(
        "已为客户换发新尺码的{product}，{courier}单号{tracking}，来回运费由我方承担。",
        "新尺码商品已发出，并赠送{coupon}优惠券补偿等待时间。",
    ),
    solution_replies=(
        "{title}您好，新尺码的{product}已经发出了，{courier}单号{tracking}，预计2-3天送达，"
        "来回运费都由我们承担。",
        "{title}，换货商品已经发出，给您补发了一张{coupon}优惠券表示歉意，请注意查收。",
    ),
    notes=("换货库存已确认，有货。", "客户要求周末送达，已备注给仓库。"),
    mention_notes=("@{colleague} 麻烦确认一下换货件是否已入库，客户在催新商品。",),
    department_notes=("@{agent_username} 已入库，今天下午随第二批发货。",),
    commitments=(("{hours}小时内发出换货商品", 48),),
)

EXCHANGE_COLOUR = replace(
    EXCHANGE,
    key="exchange_colour",
    weight=1.5,
    subjects=("{product}颜色发错，要求换货", "申请换颜色：{product}"),
    calm=(
        "您好，收到的{product}颜色和下单的不一样，想换成我拍的那个颜色。",
        "你好，{product}实物颜色比图片深很多，能换个浅色的吗？",
    ),
    upset=("{product}颜色和图片差太多了，想换一个，结果申请了两天都没人处理。",),
    asks=(
        "{title}您好，我是{agent}，抱歉给您添麻烦了。可以为您换颜色，来回运费由我们承担，"
        "请问您想换成哪个颜色呢？",
    ),
    needs=("客户要求{product}换颜色，订单{order}，来回运费由我方承担。",),
    details=("换成米白色，尺码不变。", "就换成我原来拍的那个颜色。"),
    solutions=("已为客户换发正确颜色的{product}，{courier}单号{tracking}，来回运费由我方承担。",),
    solution_replies=(
        "{title}您好，新颜色的{product}已经发出了，{courier}单号{tracking}，预计2-3天送达。",
    ),
)

LATE_SHIPMENT = Scenario(
    key="late_shipment",
    category=("物流/配送", "延迟发货"),
    weight=6,
    kind=TicketType.INQUIRY,
    upset_kind=TicketType.COMPLAINT,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 40, 40, 20),
    collaboration=LOGISTICS,
    collaboration_rate=0.35,
    quick_rate=0.15,
    subjects=(
        "订单{order}什么时候发货",
        "下单{days}天了还没发货",
        "{promo}买的{product}迟迟不发货",
        "催发货：{product}",
    ),
    calm=(
        "你好，我{order_date}下单的{product}，订单号{order}，请问什么时候能发货？",
        "在吗？{promo}买的{product}还没发货，能帮忙催一下吗？着急送人。",
        "您好，订单{order}显示待发货，想问下大概哪天能发出？",
    ),
    upset=(
        "下单都{days}天了还没发货，页面写的是48小时内发货，这是怎么回事？订单{order}。",
        "{promo}买的{product}到现在都没发，问了两次都说尽快，尽快是多快？",
    ),
    angry=("第三次催发货了！{product}到底什么时候发？订单{order}下单{days}天了，再不发我就投诉！",),
    asks=(
        "{title}您好，我是客服{agent}。非常抱歉让您久等了，我这边马上帮您查询订单{order}的发货情况。",
        "您好{title}，{promo}期间订单量比较大，发货有些延迟，实在抱歉。我帮您加急处理，"
        "您看可以吗？",
    ),
    needs=(
        "客户要求订单{order}（{product}）尽快发货，并告知快递单号。",
        "客户催发货，要求说明延迟原因并按规则补偿。",
    ),
    details=(
        "好的，那麻烦加急，周末前要用。",
        "希望能按延迟发货的规则给点补偿。",
        "订单号就是{order}，收货地址没变。",
    ),
    progress=(
        "{title}，已经联系仓库加急，您的订单会在{due}前发出，发货后第一时间把单号发给您。",
        "已为您登记加急发货，仓库确认{due}前出库，给您带来的不便非常抱歉。",
    ),
    solutions=(
        "订单{order}已加急发出，{courier}单号{tracking}，按延迟发货规则补偿{coupon}优惠券。",
        "已从{city}仓调货发出，{courier}单号{tracking}。",
    ),
    solution_replies=(
        "{title}您好，您的{product}已经发出了，{courier}单号{tracking}，预计2-3天送达。"
        "按照延迟发货的规则，给您补偿了{coupon}优惠券，已经发到您的账户。",
        "{title}，{product}已经从{city}仓发出了，{courier}单号{tracking}，请您留意物流信息。",
    ),
    notes=("{promo}期间爆仓，仓库预计延迟2天。", "已提交加急发货申请。"),
    mention_notes=(
        "@{colleague} 订单{order}超时未发货，客户很着急，"
        "麻烦查一下仓库出库计划，今天给我个时间点。",
        "@{colleague} 这单{promo}的{product}一直没出库，是不是缺货了？需要从其他仓调货吗？",
    ),
    department_notes=(
        "@{agent_username} 查了，这个型号本仓缺货，已经从{city}仓调拨，明天上午出库。",
        "@{agent_username} 已加急，今天下午第二批出库，单号出来后同步到订单。",
    ),
    commitments=(("{hours}小时内发货并告知单号", 24), ("{hours}小时内反馈仓库出库时间", 8)),
)

OUT_OF_STOCK = replace(
    LATE_SHIPMENT,
    key="out_of_stock",
    weight=2,
    emotions=(0, 25, 45, 30),
    collaboration_rate=0.5,
    quick_rate=0.0,
    subjects=("是不是没货了？订单{order}一直不发", "缺货不发货，要求退款", "{product}没货还卖？"),
    calm=("你好，订单{order}一直没发货，是不是没货了？没货的话我就不要了。",),
    upset=("{product}下单{days}天不发货，问了才说缺货，为什么不早点通知？",),
    angry=(
        "你们是不是没货还在卖？订单{order}下单{days}天了一直不发货，"
        "给不了准话就直接给我退款，还要赔偿！",
    ),
    asks=(
        "{title}您好，我是{agent}。非常抱歉，我查了一下{product}这个规格目前缺货，"
        "您是希望等待补货，还是取消订单全额退款呢？",
    ),
    needs=("{product}缺货，客户要求取消订单{order}并全额退款{amount}，并按规则补偿。",),
    details=("不等了，直接退款吧。", "那就退款吧，补偿也麻烦按规则给一下。"),
    progress=("{title}，订单{order}的取消和退款已经提交，{due}前退回，补偿券也会一起发放。",),
    solutions=(
        "{product}缺货，已按客户意愿取消订单{order}并全额退款{amount}，另补偿{coupon}优惠券。",
    ),
    solution_replies=(
        "{title}，非常抱歉，按您的意思已经取消订单，{amount}原路退回，"
        "另外补偿您{coupon}优惠券，补货后也会短信通知您。",
    ),
    notes=("该型号库存同步延迟，页面显示有货实际缺货，已反馈运营。",),
    mention_notes=("@{colleague} {product}是不是断货了？页面还显示有货，麻烦确认一下补货时间。",),
    department_notes=("@{agent_username} 确认断货，补货要两周，客户要退就直接退吧，页面已下架。",),
    commitments=(("{hours}小时内完成退款和补偿", 24),),
)

STUCK_PARCEL = Scenario(
    key="stuck_parcel",
    category=("物流/配送", "物流停滞"),
    weight=5,
    kind=TicketType.INQUIRY,
    upset_kind=TicketType.COMPLAINT,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 45, 40, 15),
    collaboration=LOGISTICS,
    collaboration_rate=0.5,
    subjects=(
        "物流{days}天没有更新",
        "{courier}单号{tracking}一直不动",
        "包裹卡在{city}转运中心",
        "物流停滞，麻烦催一下",
    ),
    calm=(
        "你好，我的快递物流停滞{days}天了，一直停在{city}转运中心，{courier}单号{tracking}，"
        "能帮忙查一下吗？",
        "您好，订单{order}的物流好几天没动了，是不是出什么问题了？",
    ),
    upset=(
        "物流停滞{days}天了，问快递说要找商家，找你们又说找快递，到底谁管？单号{tracking}。",
        "{product}卡在{city}好几天了，急着用，能不能给个准信？",
    ),
    angry=(
        "一个快递卡了一个星期！{courier}电话打不通，你们也不管，{tracking}到底丢没丢？",
        "包裹停在{city}{days}天了，你们选的什么快递？再不到我直接拒收退款！",
    ),
    asks=(
        "{title}您好，我是{agent}。抱歉让您着急了，我这就帮您联系{courier}核实单号{tracking}的情况。",
        "{title}您好，我看到您的包裹最后一条记录在{city}转运中心，我先帮您提交物流催件，"
        "有结果马上告诉您。",
    ),
    needs=(
        "包裹（{courier} {tracking}）在{city}停滞{days}天，客户要求催件尽快送达，若丢失则补发。",
    ),
    details=(
        "好的，麻烦帮我催一下，如果丢了就给我补发。",
        "收货地址没变，电话尾号{phone_tail}。",
        "对，就是这个单号，谢谢。",
    ),
    progress=(
        "已向{courier}提交催件工单，网点承诺{due}前给答复，有进展我第一时间告诉您。",
        "{title}，已经联系{courier}{city}网点核实包裹情况，{due}前给您结果。",
    ),
    solutions=("经{courier}核实包裹在{city}分拣时滞留，已催促发出，客户已签收。",),
    solution_replies=(
        "{title}您好，{courier}那边已经把您的包裹发出了，物流已经更新，预计明天送达，"
        "给您带来不便非常抱歉。",
    ),
    notes=("{courier}{city}网点最近爆仓，多单滞留。", "已提交快递催件工单。"),
    mention_notes=(
        "@{colleague} {courier}单号{tracking}在{city}停了{days}天，"
        "麻烦联系网点催一下，客户比较着急。",
    ),
    department_notes=(
        "@{agent_username} 已联系{city}网点，包裹分拣时压件了，今天已发出，明天能到。",
    ),
    commitments=(("{hours}小时内反馈催件结果", 24),),
)

STUCK_PARCEL_LOST = replace(
    STUCK_PARCEL,
    key="stuck_parcel_lost",
    weight=2,
    emotions=(0, 30, 45, 25),
    collaboration_rate=0.8,
    solutions=("包裹滞留超时无法找回，已为客户补发{product}，{courier}新单号{tracking}。",),
    solution_replies=(
        "{title}，原包裹滞留太久找不回来了，我们已经给您补发了{product}，新单号{tracking}，"
        "原包裹如果到了您直接拒收就可以。",
    ),
    mention_notes=(
        "@{colleague} 这单在{city}停了{days}天，麻烦确认一下是否需要走丢件理赔还是直接补发。",
    ),
    department_notes=(
        "@{agent_username} 网点找不到包裹了，按丢件处理，直接给客户补发，理赔我们跟快递走。",
    ),
    commitments=(("{hours}小时内确认是否补发", 48),),
)

LOST_PARCEL = Scenario(
    key="lost_parcel",
    category=("物流/配送", "快递丢件"),
    weight=2,
    kind=TicketType.COMPLAINT,
    upset_kind=TicketType.COMPLAINT,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 20, 45, 35),
    collaboration=LOGISTICS,
    collaboration_rate=0.8,
    priority=Priority.HIGH,
    subjects=(
        "快递显示签收但我没收到",
        "{product}包裹丢失",
        "{courier}单号{tracking}丢件",
        "未收到货却显示已签收",
    ),
    calm=(
        "你好，快递显示已经签收了，但是我没有收到，家里人和门卫都说没有，单号{tracking}。",
        "您好，{courier}说我的包裹丢了，订单{order}，请问怎么处理？",
    ),
    upset=(
        "物流显示{order_date}已签收，我根本没收到！{product}可不便宜，{amount}，你们要负责。",
        "快递员说放快递柜了，快递柜里根本没有，打电话也不接，单号{tracking}。",
    ),
    angry=(
        "东西丢了快递推给你们，你们推给快递，{amount}的东西就这么没了？今天不解决我就去消协投诉！",
        "签收不是我签的！你们的快递冒签，丢了{product}谁负责？要求马上补发并赔偿！",
    ),
    asks=(
        "{title}您好，我是{agent}，非常抱歉发生这样的情况。我马上联系{courier}调取签收记录，"
        "丢件由我们先行处理，不需要您和快递交涉。您希望补发还是退款呢？",
    ),
    needs=("客户未收到{product}（{courier} {tracking}），物流显示已签收，要求补发。",),
    details=("补发吧，我还是需要这个东西的。", "补发吧。我家楼下有监控，需要的话可以去调。"),
    progress=(
        "{title}，已经向{courier}发起丢件调查，网点需要核实签收监控，我们会在{due}前给您结果，"
        "如果确认丢失马上为您处理。",
    ),
    solutions=("确认{courier}网点冒签导致丢件，已先行为客户补发{product}，理赔由物流部对接快递。",),
    solution_replies=(
        "{title}您好，核实是快递网点冒签，给您添麻烦了。新的{product}已经补发，"
        "{courier}单号{tracking}，理赔的事情我们来和快递处理。",
    ),
    notes=("签收底单显示代签人非本人。", "该网点本月第3起冒签投诉。"),
    mention_notes=(
        "@{colleague} 单号{tracking}疑似冒签丢件，麻烦调取签收记录，客户要求今天给答复。",
    ),
    department_notes=(
        "@{agent_username} 网点承认是快递员放错楼栋了，包裹找不回，"
        "已按丢件理赔，客户这边直接处理。",
        "@{agent_username} 理赔已提交{courier}，不影响客户补发或退款，你这边直接安排。",
    ),
    commitments=(("{hours}小时内给出丢件调查结果", 24),),
)

LOST_PARCEL_REFUND = replace(
    LOST_PARCEL,
    key="lost_parcel_refund",
    weight=1.5,
    needs=("客户未收到{product}，物流显示已签收，要求核实冒签并全额退款{amount}。",),
    details=("直接退款吧，不想再等了。", "退款吧，东西我在别处买了。"),
    solutions=("丢件已先行全额退款{amount}，另补偿{coupon}优惠券，快递理赔内部处理。",),
    solution_replies=(
        "{title}，已经为您全额退款{amount}，另外补偿您一张{coupon}的优惠券，非常抱歉。",
    ),
)

WRONG_ITEM = Scenario(
    key="wrong_item",
    category=("物流/配送", "错发漏发"),
    weight=3,
    kind=TicketType.AFTER_SALES,
    upset_kind=TicketType.COMPLAINT,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 40, 45, 15),
    collaboration=LOGISTICS,
    collaboration_rate=0.4,
    info_requests=PHOTO_REQUESTS,
    subjects=("收到的商品发错了", "{product}发错型号", "买的和收到的不是同一个东西"),
    calm=(
        "你好，我买的是{product}，收到的却是别的型号，订单{order}，怎么处理？",
        "您好，订单{order}收到的{product}颜色发错了，我买的是白色。",
    ),
    upset=("发错货了，我买的白色收到黑色，急着用，还得来回折腾。",),
    angry=("第二次发错货了！你们仓库到底怎么管理的？订单{order}，我要求赔偿！",),
    asks=(
        "{title}您好，我是{agent}，非常抱歉发错了商品。麻烦您拍一张收到商品和快递面单的照片，"
        "我马上为您补发正确的商品，错发的那件快递员上门取回。",
    ),
    needs=("订单{order}错发，客户要求补发正确的{product}并上门取回错发商品。",),
    details=(
        "照片已经发过去了，你们看一下。",
        "好的，补发后我把错的那件交给快递员。",
        "面单照片发你了。",
    ),
    progress=(
        "已经为您登记补发，仓库{due}前发出正确的{product}，错发的商品快递员上门取回，"
        "不需要您付运费。",
    ),
    solutions=(
        "已补发正确商品，{courier}单号{tracking}，错发商品安排上门取回，补偿{coupon}优惠券。",
    ),
    solution_replies=(
        "{title}您好，正确的{product}已经补发，{courier}单号{tracking}，错发的那件快递员会上门取回，"
        "另外给您补偿了{coupon}优惠券。",
    ),
    notes=("仓库拣货员看错货位导致错发，已反馈仓库主管。",),
    mention_notes=("@{colleague} 订单{order}错发，麻烦查一下拣货记录并安排补发。",),
    department_notes=("@{agent_username} 查到了，货位标签贴错，已更正，补发今天出库。",),
    commitments=(("{hours}小时内补发正确商品", 24),),
)

MISSING_ITEM = replace(
    WRONG_ITEM,
    key="missing_item",
    weight=2,
    emotions=(0, 55, 40, 5),
    subjects=("订单{order}漏发一件", "{product}少发了配件", "只收到一个包裹"),
    calm=(
        "您好，订单{order}买了两件，只收到一件，另一件是分开发的吗？",
        "你好，{product}收到发现少了充电线和说明书，麻烦补发一下。",
    ),
    upset=("{product}收到发现少了配件，这是新品吗？不会是别人退回来的吧？",),
    angry=("少发东西还要我来回沟通三次，订单{order}，今天必须给我补发！",),
    asks=(
        "{title}您好，我是{agent}，给您添麻烦了。我先核实一下订单{order}是否分包发货，"
        "如果确认漏发马上为您补发。",
    ),
    needs=("订单{order}漏发（{product}或其配件），客户要求补发。",),
    details=("只收到一个包裹，里面就一件。", "好的，等你们消息。"),
    progress=("{title}，已核实是漏发，补发{due}前从仓库发出，发出后把单号发给您。",),
    solutions=("已核实漏发，补发{product}（配件），{courier}单号{tracking}。",),
    solution_replies=(
        "{title}您好，漏发的部分已经寄出了，{courier}单号{tracking}，实在抱歉给您添麻烦了。",
    ),
)

SCENARIOS = (
    REFUND_UNSHIPPED,
    REFUND_LATE,
    REFUND_PARTIAL,
    RETURN_REQUEST,
    RETURN_STUCK,
    EXCHANGE,
    EXCHANGE_COLOUR,
    LATE_SHIPMENT,
    OUT_OF_STOCK,
    STUCK_PARCEL,
    STUCK_PARCEL_LOST,
    LOST_PARCEL,
    LOST_PARCEL_REFUND,
    WRONG_ITEM,
    MISSING_ITEM,
)
