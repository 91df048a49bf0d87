"""Scenarios about accounts, payments, questions, complaints, praise and suggestions."""

from __future__ import annotations

from dataclasses import replace

from bihuan.demo.material.catalogue import DEVICE, KITCHEN
from bihuan.demo.material.organisation import (
    AFTER_SALES_SERVICE,
    COMPLAINTS,
    PRESALES,
    TECH,
)
from bihuan.demo.material.scenarios import Scenario
from bihuan.tickets.choices import Priority, TicketType

LOGIN_CODE = Scenario(
    key="login_code",
    category=("账户/登录", "无法登录"),
    weight=2.5,
    kind=TicketType.INQUIRY,
    upset_kind=TicketType.COMPLAINT,
    team=PRESALES,
    emotions=(0, 55, 35, 10),
    collaboration=TECH,
    collaboration_rate=0.35,
    quick_rate=0.3,
    subjects=("收不到登录验证码", "登录验证码一直收不到", "账号登录不上，验证码没反应"),
    calm=(
        "您好，登录的时候一直收不到短信验证码，手机号尾号{phone_tail}。",
        "你好，App登录收不到验证码，试了好几次了。",
    ),
    upset=("验证码发了十几次都收不到，账号里还有没用完的优惠券，急死了。",),
    angry=("登不上账号，订单也看不了，客服电话打了半小时没人接，你们怎么做服务的？",),
    asks=(
        "{title}您好，我是{agent}。请您先确认手机是否开启了短信拦截，也可以试试语音验证码。"
        "如果还不行，麻烦把提示截图发给我。",
    ),
    needs=("客户收不到登录验证码（手机尾号{phone_tail}），要求恢复登录。",),
    details=("短信拦截看了，没有。截图已经发了。", "语音验证码也收不到。"),
    progress=("{title}，已提交技术同事排查验证码通道，{due}前给您结果，期间可以用微信快捷登录。",),
    solutions=("短信服务商通道故障，切换备用通道后客户已正常登录。",),
    solution_replies=("{title}您好，验证码通道已经恢复了，您现在重新获取就可以登录了。",),
    notes=("今天上午短信通道有波动，已有多单同类问题。",),
    mention_notes=("@{colleague} 验证码收不到的用户今天突然多了，麻烦看一下短信通道。",),
    department_notes=("@{agent_username} 短信服务商那边出问题了，已切换备用通道，现在正常了。",),
    commitments=(("{hours}小时内恢复账号登录", 24),),
)

LOGIN_NEW_PHONE = replace(
    LOGIN_CODE,
    key="login_new_phone",
    weight=1.5,
    emotions=(0, 80, 18, 2),
    collaboration_rate=0.0,
    quick_rate=0.2,
    subjects=("换手机号后登录不了", "申请换绑手机号"),
    calm=("你好，我换了手机号，原来的号码停用了，账号怎么登录？",),
    upset=("原手机号停机了，账号登不上，里面还有好多积分，怎么办？",),
    angry=("换个手机号就登不上了，找了三次客服都没解决！",),
    asks=(
        "{title}您好，为了保障账号安全，需要先核实一下身份："
        "请提供原注册手机号后四位和最近一笔订单号。",
    ),
    needs=("客户原手机号停用，要求核实身份后换绑新手机号并恢复登录。",),
    details=("原手机号后四位{phone_tail}，最近一笔订单{order}。",),
    progress=("{title}，身份核实材料已提交，{due}前完成换绑。",),
    solutions=("核实身份后为客户换绑新手机号，账号恢复登录。",),
    solution_replies=("{title}，身份核实通过，已经把账号换绑到您的新手机号，请用新号码登录。",),
    notes=("客户提供的订单信息与账号一致，身份核实通过。",),
    commitments=(("{hours}小时内完成换绑", 24),),
)

LOGIN_APP_ERROR = replace(
    LOGIN_CODE,
    key="login_app_error",
    weight=1.5,
    collaboration_rate=0.6,
    subjects=("App登录不上，提示{error}", "更新{version}后无法登录"),
    calm=("你好，我的账号登录不上，App提示{error}，版本是{version}。",),
    upset=("App更新到{version}之后就一直登录失败，提示{error}，你们能不能测试好再发布？",),
    angry=("更新完就登不上了，提示{error}，订单都看不了，你们怎么测试的？",),
    asks=(
        "{title}您好，我是{agent}。麻烦您告诉我手机型号，并把报错截图发给我，我马上转给技术同事。",
    ),
    needs=("客户App {version}登录报错{error}，要求恢复登录。",),
    details=("手机是iPhone 13，截图发你了。", "小米14，重装也不行。"),
    progress=("{title}，技术同事确认是新版本的问题，修复版预计{due}前发布。",),
    solutions=("{version}版本登录缺陷，已发布热修复，客户升级后恢复。",),
    solution_replies=("{title}您好，修复版本已经发布，您把App升级到最新版就可以正常登录了。",),
    mention_notes=("@{colleague} {version}版本登录报{error}的反馈这两天很多，麻烦看一下。",),
    department_notes=("@{agent_username} 已定位，是{version}的登录态缓存问题，热修复已发布。",),
)

ACCOUNT_STOLEN = Scenario(
    key="account_stolen",
    category=("账户/登录", "账号被盗"),
    weight=1.5,
    kind=TicketType.COMPLAINT,
    upset_kind=TicketType.COMPLAINT,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 10, 40, 50),
    collaboration=TECH,
    collaboration_rate=0.8,
    priority=Priority.URGENT,
    subjects=("账号被盗，有陌生订单", "账号异地登录，积分被盗用", "紧急：账号被人改了密码"),
    calm=("你好，我的账号好像被别人登录了，有一笔不是我下的订单{order}，麻烦帮我冻结一下。",),
    upset=(
        "我的账号被盗了！积分全被用掉了，还多了一笔{amount}的订单，麻烦马上处理！",
        "收到异地登录提醒，然后密码就被改了，账号里绑着银行卡，非常担心。",
    ),
    angry=("账号被盗刷了{amount}！你们的安全措施呢？马上冻结账号、拦截订单，损失你们要负责！",),
    asks=(
        "{title}您好，我是{agent}，已经为您临时冻结账号，陌生订单{order}也已提交拦截。"
        "为核实身份，请提供注册手机号后四位和身份证后四位。",
    ),
    needs=("客户账号被盗，要求冻结账号、拦截订单{order}并恢复积分和损失{amount}。",),
    details=("手机号后四位{phone_tail}，身份证后四位我私信发给你。", "订单{order}不是我下的。"),
    progress=(
        "{title}，账号已冻结，技术同事正在核查登录记录，{due}前给您处理结果，积分和款项会核实后退回。",
    ),
    solutions=(
        "确认账号被撞库盗用，已拦截订单{order}，退回{amount}并恢复积分，"
        "客户已重置密码并开启二次验证。",
    ),
    solution_replies=(
        "{title}您好，核查确认是撞库登录，订单{order}已拦截，{amount}已退回，积分也已恢复。"
        "建议您开启登录二次验证，避免再次发生。",
    ),
    notes=("登录IP在境外，判断为撞库。", "已通知风控加强该账号监控。"),
    mention_notes=("@{colleague} 账号被盗，紧急！麻烦调一下最近7天的登录记录和设备信息。",),
    department_notes=(
        "@{agent_username} 查到了，{order_date}有境外IP撞库登录，已封禁设备，订单可以退。",
    ),
    commitments=(("{hours}小时内拦截盗刷订单并反馈", 4), ("{hours}小时内恢复积分", 24)),
)

DOUBLE_CHARGE = Scenario(
    key="double_charge",
    category=("支付/发票", "重复扣款"),
    weight=3,
    kind=TicketType.REQUEST,
    upset_kind=TicketType.COMPLAINT,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 35, 45, 20),
    collaboration=TECH,
    collaboration_rate=0.4,
    priority=Priority.HIGH,
    subjects=("付款扣了两次钱", "订单{order}重复扣款", "支付失败但钱被扣了"),
    calm=(
        "你好，订单{order}付款的时候扣了两次，多扣了{amount}，麻烦查一下。",
        "您好，付款提示失败，但是银行卡已经扣款了，重新付款又扣了一次，金额{amount}。",
    ),
    upset=(
        "重复扣款{amount}，好几天了还没退回来，能不能快点？",
        "支付失败钱却扣了，重新付款又扣了一次，你们的系统怎么回事？",
    ),
    angry=("莫名其妙多扣了我{amount}！三天了没人处理，再不退我就报警了！",),
    asks=(
        "{title}您好，我是{agent}。请您提供一下银行扣款记录截图，我这边核对支付流水。",
        "{title}，抱歉给您带来困扰，重复扣款会原路退回，我先帮您确认一下流水状态。",
    ),
    needs=("客户订单{order}重复扣款{amount}，要求退回多扣金额。",),
    details=("截图发你了，两笔都是同一分钟扣的。", "对，就是多扣的那一笔。"),
    progress=("{title}，已核实多扣一笔，退款已提交，{due}前原路退回。",),
    solutions=("核实支付网关重复回调导致重复扣款，已原路退回{amount}。",),
    solution_replies=(
        "{title}您好，多扣的{amount}已经原路退回，银行处理一般1-3个工作日，请您留意。",
    ),
    notes=("支付平台流水显示两笔成功，确认重复扣款。",),
    mention_notes=("@{colleague} 订单{order}重复扣款，麻烦查一下支付回调日志。",),
    department_notes=("@{agent_username} 是网关超时重试导致的，已退款，修复已上线。",),
    commitments=(("{hours}小时内退回重复扣款", 24),),
)

INVOICE = Scenario(
    key="invoice",
    category=("支付/发票", "发票开具"),
    weight=3.5,
    kind=TicketType.REQUEST,
    upset_kind=TicketType.REQUEST,
    team=AFTER_SALES_SERVICE,
    emotions=(0, 88, 10, 2),
    quick_rate=0.45,
    subjects=("订单{order}开发票", "申请开具电子发票", "公司报销要发票"),
    calm=(
        "你好，订单{order}需要开发票，抬头：{invoice_title}，税号：{tax_id}。",
        "您好，公司报销需要发票，订单{order}，抬头是{invoice_title}。",
    ),
    upset=("申请发票{days}天了还没收到，财务在催报销了。",),
    angry=("发票申请了三次都没开出来，我们公司每个月采购这么多，这服务太差了！",),
    asks=(
        "{title}您好，我是{agent}。可以为您开具电子发票，我确认一下：抬头{invoice_title}，"
        "税号{tax_id}，开票金额{amount}，对吗？",
    ),
    needs=("客户要求为订单{order}开具发票，抬头{invoice_title}，税号{tax_id}，金额{amount}。",),
    details=("对的，信息没错。", "对，电子发票发到邮箱就行。"),
    progress=("{title}，发票已提交财务，{due}前开出并发送到您的邮箱。",),
    solutions=("已为订单{order}开具电子发票（抬头{invoice_title}），并发送至客户邮箱。",),
    solution_replies=("{title}您好，电子发票已经开好，发送到您的邮箱了，请查收。",),
    notes=("月底财务开票较多，处理稍慢。",),
    commitments=(("{hours}小时内开具发票", 48),),
)

INVOICE_FIX = replace(
    INVOICE,
    key="invoice_fix",
    weight=1.5,
    emotions=(0, 60, 35, 5),
    quick_rate=0.2,
    subjects=("发票抬头开错了", "发票税号有误，申请重开"),
    calm=("你好，发票抬头开错了，麻烦重开一下，正确的是{invoice_title}，税号{tax_id}。",),
    upset=("发票上的税号错了一位，报销被退回来了，麻烦尽快重开。",),
    angry=("发票开错了两次！报销已经被退回来两次了，这次能不能认真核对？",),
    asks=(
        "{title}您好，我是{agent}，抱歉给您添麻烦了。我确认一下正确信息：抬头{invoice_title}，税号{tax_id}，对吗？",
    ),
    needs=("订单{order}发票信息有误，客户要求作废重开，抬头{invoice_title}，税号{tax_id}。",),
    details=("对，就是这个，麻烦仔细核对一下。",),
    progress=("{title}，已申请作废原发票，新发票{due}前重新开具。",),
    solutions=("作废错误发票并按正确抬头{invoice_title}重新开具，已发送至客户邮箱。",),
    solution_replies=("{title}，错误的发票已作废，新发票已经重新开具并发到您邮箱，请核对。",),
    commitments=(("{hours}小时内重开发票", 24),),
)

QUESTION_WARRANTY = Scenario(
    key="question_warranty",
    category=("咨询", "产品咨询"),
    weight=3.5,
    kind=TicketType.INQUIRY,
    upset_kind=TicketType.INQUIRY,
    team=PRESALES,
    emotions=(20, 78, 2, 0),
    product_traits=(DEVICE,),
    records_need=False,
    quick_rate=0.6,
    subjects=("{product}保修多久", "咨询{product}的保修政策", "{product}支持以旧换新吗"),
    calm=(
        "你好，请问{product}的保修期是多久？支持以旧换新吗？",
        "您好，{product}如果坏了是上门维修还是要寄回去？",
    ),
    upset=("问了半天也没人回答，{product}到底保修多久？",),
    angry=(),
    asks=(
        "{title}您好，我是{agent}，很高兴为您服务。{product}整机保修一年，核心部件保修两年，"
        "保修期内支持免费上门取件维修，也支持以旧换新。",
    ),
    needs=(),
    details=("以旧换新能抵多少钱？", "好的，明白了。"),
    progress=("{title}，以旧换新的估价方式我整理好发给您了，有问题随时问我。",),
    solutions=("已解答{product}保修和以旧换新政策。",),
    solution_replies=(
        "{title}，以旧换新按旧机成色估价，一般能抵100-500元，下单时选择“以旧换新”即可，"
        "有问题随时找我。",
    ),
    notes=("客户意向强，已推荐以旧换新活动。",),
    commitments=(),
)

QUESTION_CHOOSE = replace(
    QUESTION_WARRANTY,
    key="question_choose",
    weight=3.5,
    product_traits=(DEVICE,),
    subjects=("{product}怎么选", "{product}和上一代有什么区别", "{product}适合我吗"),
    calm=(
        "你好，{product}适合小户型用吗？家里大概60平。",
        "你好，{product}和上一代比有什么升级？值得换吗？",
        "在吗？想给爸妈买{product}，老人用会不会太复杂？",
    ),
    upset=("问个参数都问不清楚，{product}到底适不适合我？",),
    asks=(
        "{title}您好，我是{agent}，很高兴为您服务。{product}这一代主要在性能和续航上做了升级，"
        "操作也更简单。您主要在什么场景使用呢？我帮您推荐合适的型号。",
    ),
    details=("主要卧室用，晚上怕吵。", "家里老人用，越简单越好。", "有优惠吗？"),
    progress=("{title}，您要的参数对比表我整理好了，已经发给您，有问题随时问我。",),
    solutions=("已为客户推荐合适型号并解答疑问，客户已下单。", "已解答{product}的功能差异。"),
    solution_replies=(
        "{title}，按您的情况推荐标准版就够用了，现在下单还能用{coupon}的新人券，有问题随时找我。",
        "不客气{title}，祝您购物愉快！",
    ),
    notes=("客户意向强，已推荐套餐。",),
)

QUESTION_STOCK = replace(
    QUESTION_WARRANTY,
    key="question_stock",
    weight=2,
    product_traits=(),
    quick_rate=0.8,
    subjects=("{product}有现货吗", "{product}什么时候发货", "{product}能送到{city}吗"),
    calm=(
        "在吗？{product}现在下单什么时候能发货？",
        "你好，{product}还有货吗？想这周内收到。",
        "您好，{product}能送到{city}吗？大概几天到？",
    ),
    upset=("{product}页面一直显示预售，到底什么时候有货？",),
    asks=("{title}您好，{product}目前有现货，今天16点前下单当天发货，{city}一般2-3天送达。",),
    details=("好的，那我现在下单。", "能指定顺丰吗？"),
    solutions=("已告知现货和发货时效。",),
    solution_replies=("{title}，可以的，下单时备注一下就行，祝您购物愉快！",),
    notes=("客户关注时效，已备注优先发货。",),
)

PRICE_PROTECTION = Scenario(
    key="price_protection",
    category=("咨询", "活动优惠"),
    weight=3,
    kind=TicketType.REQUEST,
    upset_kind=TicketType.COMPLAINT,
    team=PRESALES,
    emotions=(0, 55, 38, 7),
    quick_rate=0.3,
    subjects=("{product}降价了能退差价吗", "{promo}价格保护申请", "刚买就降价，申请价保"),
    calm=("您好，我买的{product}现在降价了{refund_amount}，可以申请价保吗？订单{order}。",),
    upset=("我刚买完{product}第二天就降价{refund_amount}，你们这样不厚道吧？",),
    angry=("{promo}宣传的价格和我实际付款差了{refund_amount}，这是虚假宣传！",),
    asks=(
        "{title}您好，我是{agent}。购买后7天内同规格降价可以申请价保，我帮您核实一下订单{order}。",
    ),
    needs=("客户申请订单{order}（{product}）价格保护，退差价{refund_amount}。",),
    details=("是的，就是这个订单。", "截图发你了，现在的价格低了{refund_amount}。"),
    progress=("{title}，价保申请已提交，{due}前差价退回您的账户。",),
    solutions=("符合7天价保规则，已为客户退差价{refund_amount}。",),
    solution_replies=("{title}您好，价保已经通过，差价{refund_amount}已退回，请您查收。",),
    notes=("价保规则：7天内同规格降价可退差价。",),
    commitments=(("{hours}小时内退回差价", 24),),
)

COUPON = replace(
    PRICE_PROTECTION,
    key="coupon",
    weight=2.5,
    kind=TicketType.INQUIRY,
    emotions=(0, 70, 27, 3),
    quick_rate=0.5,
    subjects=("{promo}优惠券怎么用", "满减没有生效", "优惠券用不了"),
    calm=(
        "你好，{promo}的满减券怎么用不了？订单{order}。",
        "你好，{promo}什么时候开始？{product}会有优惠吗？",
    ),
    upset=("优惠券明明在有效期内，结算的时候就是用不了。",),
    angry=("领的券一张都用不了，{promo}就是骗人进来的吧？",),
    asks=("{title}您好，我是{agent}。我看一下您的优惠券使用条件，请稍等。",),
    needs=("客户{promo}优惠券结算时无法使用，要求补发或说明原因。",),
    details=("券的截图发你了。", "就是结算页面显示不可用。"),
    progress=("{title}，已经给您申请补发通用券，{due}前发到您的账户。",),
    solutions=("该券不适用于所购商品，已补发{coupon}通用优惠券。",),
    solution_replies=(
        "{title}，这张券不适用于该商品，给您补发了一张{coupon}的通用券，您下单时可以用。",
    ),
    notes=("券的适用范围在活动页写得不清楚，已反馈运营。",),
    commitments=(("{hours}小时内补发优惠券", 24),),
)

SERVICE_COMPLAINT = Scenario(
    key="service_complaint",
    category=("服务评价", "服务投诉"),
    weight=3,
    kind=TicketType.COMPLAINT,
    upset_kind=TicketType.COMPLAINT,
    team=COMPLAINTS,
    emotions=(0, 5, 45, 50),
    priority=Priority.HIGH,
    subjects=("投诉客服态度差", "投诉：问题一直没人解决", "对处理结果不满意", "投诉客服推诿"),
    calm=("你好，想反映一下之前咨询时客服回复比较敷衍，问题也没解决。",),
    upset=(
        "上次的问题拖了{days}天没人管，每次都让我等，我要投诉。",
        "客服回答前后矛盾，一会儿说能退一会儿说不能退，到底听谁的？",
    ),
    angry=(
        "你们客服态度太差了，说两句就挂我电话！我要投诉，要求你们主管给我回电话！",
        "同一个问题我打了五次电话，每次都要从头说一遍，你们到底有没有记录？我要去12315投诉！",
    ),
    asks=(
        "{title}您好，我是投诉处理专员{agent}，非常抱歉给您带来了不好的体验。"
        "您的问题由我负责到底，能麻烦您具体说一下经过吗？",
        "{title}您好，对于之前的服务我们深表歉意。我已经调取了沟通记录，会认真核实，"
        "原来的问题也由我来跟进。",
    ),
    needs=("客户投诉服务态度和处理时效，要求道歉、主管回电并解决原问题（订单{order}）。",),
    details=(
        "{order_date}联系的客服，问题到现在都没解决。",
        "我就想知道我的问题什么时候能解决。",
        "希望你们主管能给我回个电话。",
    ),
    progress=(
        "{title}，您反映的问题我们已经核实，涉及的同事已做批评教育，原问题我会在{due}前给您解决。",
    ),
    solutions=(
        "核实客服存在服务不规范问题，已向客户致歉，原问题已解决，补偿{coupon}优惠券，涉事员工已培训。",
        "主管已回电致歉，原订单问题已处理完毕。",
    ),
    solution_replies=(
        "{title}您好，经核实确实是我们服务不到位，再次向您道歉。原问题已经处理好了，"
        "另外补偿您{coupon}优惠券，我们也会加强培训。",
        "{title}，主管已经给您回过电话，原问题也已处理完毕，感谢您的监督。",
    ),
    notes=("已调取录音，客服确有语气问题。", "客户要求主管回电，已安排。"),
    commitments=(("{hours}小时内主管回电", 4), ("{hours}小时内给出处理结果", 24)),
)

PRAISE = Scenario(
    key="praise",
    category=("服务评价", "表扬"),
    weight=2.5,
    product_traits=(DEVICE,),
    kind=TicketType.PRAISE,
    upset_kind=TicketType.PRAISE,
    team=PRESALES,
    emotions=(100, 0, 0, 0),
    priority=Priority.LOW,
    records_need=False,
    subjects=("表扬客服{agent}", "感谢你们的快速处理", "点赞售后服务", "服务很好，特此表扬"),
    calm=(
        "想表扬一下客服{agent}，上次退款的事情处理得又快又耐心，非常满意！",
        "你们的售后太给力了，{product}坏了第二天就换了新的，必须点赞。",
        "谢谢你们的快递小哥，下大雨还准时送到了，服务很好。",
        "感谢客服{agent}耐心地教我家老人用{product}，讲了半个小时一点都不烦，太贴心了。",
    ),
    upset=(),
    angry=(),
    asks=(
        "{title}您好，非常感谢您的认可和鼓励！您的表扬我们会转达给相关同事，"
        "这也是我们继续努力的动力。",
        "谢谢{title}！收到您的表扬我们特别开心，祝您生活愉快！",
    ),
    needs=(),
    details=("不客气，继续保持！",),
    progress=(),
    solutions=("已感谢客户，表扬已记入员工服务档案。",),
    solution_replies=("再次感谢{title}的支持，有任何需要随时找我们！",),
    notes=("表扬已转发给班组长，计入本月服务之星评选。",),
    commitments=(),
)

SUGGESTION_APP = Scenario(
    key="suggestion_app",
    category=("服务评价", "产品建议"),
    weight=1.5,
    kind=TicketType.SUGGESTION,
    upset_kind=TicketType.SUGGESTION,
    team=PRESALES,
    emotions=(20, 70, 10, 0),
    priority=Priority.LOW,
    collaboration=TECH,
    collaboration_rate=0.3,
    records_need=False,
    quick_rate=0.3,
    subjects=("建议App增加夜间模式", "希望订单页面能显示预计送达时间", "对App的一点建议"),
    calm=(
        "建议App增加一个夜间模式，晚上看屏幕太亮了。",
        "希望订单页面能显示预计送达时间，每次都要去查物流。",
        "建议客服能支持视频指导，有些操作打字说不清楚。",
    ),
    upset=("App改版后找不到历史订单了，建议恢复原来的入口，用着太别扭。",),
    angry=(),
    asks=(
        "{title}您好，感谢您的宝贵建议！我已经记录下来并提交给产品团队，有进展会通知您。",
        "谢谢{title}的建议，我们会认真评估，您的反馈对我们很重要。",
    ),
    needs=(),
    details=("好的，期待早日上线。",),
    progress=("{title}，产品团队已经把您的建议纳入评估，预计{due}前给您答复。",),
    solutions=("建议已提交产品需求池，排期下个版本评估。", "建议已采纳，计划在下一版本上线。"),
    solution_replies=(
        "{title}您好，您的建议产品团队已经采纳，计划在下个版本上线，感谢您的支持！",
        "{title}，建议已经进入产品需求池，后续上线会第一时间通知您。",
    ),
    notes=("同类建议本月已收到多次，已汇总。",),
    mention_notes=("@{colleague} 用户对App的建议，麻烦评估一下可行性，附在备注里了。",),
    department_notes=("@{agent_username} 已纳入下个版本需求池。",),
    commitments=(),
)

SUGGESTION_PRODUCT = replace(
    SUGGESTION_APP,
    key="suggestion_product",
    weight=1,
    product_traits=(KITCHEN,),
    collaboration_rate=0.0,
    subjects=("建议{product}出个大容量版本", "对{product}的改进建议"),
    calm=(
        "{product}很好用，建议出一个大容量版本，一家五口不够用。",
        "{product}整体不错，就是说明书太简单了，建议附一个视频教程。",
    ),
    upset=("{product}的包装太难拆了，建议改进一下。",),
    solutions=("建议已转交商品部门评估。",),
    solution_replies=("{title}，您的建议已经转交商品部门，感谢您对我们的关注！",),
)

SCENARIOS = (
    LOGIN_CODE,
    LOGIN_NEW_PHONE,
    LOGIN_APP_ERROR,
    ACCOUNT_STOLEN,
    DOUBLE_CHARGE,
    INVOICE,
    INVOICE_FIX,
    QUESTION_WARRANTY,
    QUESTION_CHOOSE,
    QUESTION_STOCK,
    PRICE_PROTECTION,
    COUPON,
    SERVICE_COMPLAINT,
    PRAISE,
    SUGGESTION_APP,
    SUGGESTION_PRODUCT,
)
