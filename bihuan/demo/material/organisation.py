"""The demo company: departments, queues, staff, the category tree and tags."""

from __future__ import annotations

from dataclasses import dataclass

from bihuan.accounts.choices import Role

# Not a secret: the one documented password of the demo sign-ins, printed by ``bihuan demo``.
PASSWORD = "bihuan-demo"  # noqa: S105

SERVICE = "客服部"
TECH = "技术部"
AFTER_SALES = "售后部"
LOGISTICS = "物流部"
DEPARTMENTS = (SERVICE, TECH, AFTER_SALES, LOGISTICS)

PRESALES = "售前咨询组"
AFTER_SALES_SERVICE = "售后服务组"
COMPLAINTS = "投诉处理组"
VIP = "VIP服务组"
TECH_SUPPORT = "技术支持组"
REPAIR = "维修服务组"
LOGISTICS_DESK = "物流协调组"

# Queue name → department name.
TEAMS: dict[str, str] = {
    PRESALES: SERVICE,
    AFTER_SALES_SERVICE: SERVICE,
    COMPLAINTS: SERVICE,
    VIP: SERVICE,
    TECH_SUPPORT: TECH,
    REPAIR: AFTER_SALES,
    LOGISTICS_DESK: LOGISTICS,
}


@dataclass(frozen=True)
class StaffMember:
    """One demo sign-in: who they are, what they do, which queues they work."""

    username: str
    display_name: str
    role: str
    department: str | None
    teams: tuple[str, ...] = ()
    heads: str | None = None  # the department this person is head of
    email_domain: str = "bihuan-demo.cn"

    @property
    def email(self) -> str:
        return f"{self.username}@{self.email_domain}"


STAFF: tuple[StaffMember, ...] = (
    StaffMember("admin", "林峰", Role.ADMIN, None),
    StaffMember(
        "wangfang",
        "王芳",
        Role.SUPERVISOR,
        SERVICE,
        (PRESALES, AFTER_SALES_SERVICE, COMPLAINTS, VIP),
        heads=SERVICE,
    ),
    StaffMember("zhangwei", "张伟", Role.AGENT, SERVICE, (PRESALES,)),
    StaffMember("liuyang", "刘洋", Role.AGENT, SERVICE, (PRESALES, AFTER_SALES_SERVICE)),
    StaffMember("chenjing", "陈静", Role.AGENT, SERVICE, (AFTER_SALES_SERVICE,)),
    StaffMember("yangli", "杨丽", Role.AGENT, SERVICE, (AFTER_SALES_SERVICE, COMPLAINTS)),
    StaffMember("zhaolei", "赵磊", Role.AGENT, SERVICE, (COMPLAINTS, VIP)),
    StaffMember("sunyue", "孙悦", Role.ADVISOR, SERVICE, (VIP,)),
    StaffMember("zhouqiang", "周强", Role.ADVISOR, SERVICE, (VIP,)),
    StaffMember("wujun", "吴军", Role.DEPARTMENT_MEMBER, TECH, (TECH_SUPPORT,), heads=TECH),
    StaffMember("xuhui", "徐辉", Role.DEPARTMENT_MEMBER, AFTER_SALES, (REPAIR,), heads=AFTER_SALES),
    StaffMember(
        "maxiaodong",
        "马晓东",
        Role.DEPARTMENT_MEMBER,
        LOGISTICS,
        (LOGISTICS_DESK,),
        heads=LOGISTICS,
    ),
)
ADMIN_USERNAME = "admin"
SUPERVISOR_USERNAME = "wangfang"

# (parent, children), in display order.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("退款/退货", ("仅退款", "退货退款", "换货")),
    ("物流/配送", ("延迟发货", "物流停滞", "快递丢件", "错发漏发")),
    ("产品故障", ("无法开机", "功能异常", "质量问题")),
    ("账户/登录", ("无法登录", "账号被盗")),
    ("支付/发票", ("重复扣款", "发票开具")),
    ("售后维修", ("保修维修", "上门安装")),
    ("咨询", ("产品咨询", "活动优惠")),
    ("服务评价", ("服务投诉", "表扬", "产品建议")),
)

URGENT_TAG = "加急"
MEDIA_RISK_TAG = "媒体曝光风险"
REPEAT_COMPLAINT_TAG = "重复投诉"
PROMOTION_TAG = "大促"
CHASING_TAG = "催单"
CALLBACK_TAG = "需回访"
HIGH_VALUE_TAG = "高价值"
LOYAL_TAG = "老客户"
SENSITIVE_TAG = "敏感客户"
BUSINESS_TAG = "企业客户"

TAGS: dict[str, str] = {
    URGENT_TAG: "#dc3545",
    MEDIA_RISK_TAG: "#6f42c1",
    REPEAT_COMPLAINT_TAG: "#fd7e14",
    PROMOTION_TAG: "#e83e8c",
    CHASING_TAG: "#ffc107",
    CALLBACK_TAG: "#20c997",
    HIGH_VALUE_TAG: "#0d6efd",
    LOYAL_TAG: "#198754",
    SENSITIVE_TAG: "#b02a37",
    BUSINESS_TAG: "#0dcaf0",
}
