"""Customers: Chinese names (with pinyin for email addresses), phone prefixes, companies."""

from __future__ import annotations

# (surname, pinyin), most common first: the generator weights them by rank.
SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
    ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
    ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"),
    ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"),
    ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"),
    ("袁", "yuan"), ("潘", "pan"), ("于", "yu"), ("蒋", "jiang"), ("蔡", "cai"),
    ("余", "yu"), ("杜", "du"), ("叶", "ye"), ("程", "cheng"), ("苏", "su"),
    ("魏", "wei"), ("吕", "lv"), ("丁", "ding"), ("任", "ren"), ("沈", "shen"),
    ("姚", "yao"), ("卢", "lu"), ("姜", "jiang"), ("崔", "cui"), ("钟", "zhong"),
    ("谭", "tan"), ("陆", "lu"), ("汪", "wang"), ("范", "fan"), ("金", "jin"),
    ("石", "shi"), ("廖", "liao"), ("贾", "jia"), ("夏", "xia"), ("韦", "wei"),
    ("付", "fu"), ("方", "fang"), ("白", "bai"), ("邹", "zou"), ("孟", "meng"),
    ("熊", "xiong"), ("秦", "qin"), ("邱", "qiu"), ("江", "jiang"), ("尹", "yin"),
    ("薛", "xue"), ("闫", "yan"), ("段", "duan"), ("雷", "lei"), ("侯", "hou"),
    ("龙", "long"), ("史", "shi"), ("陶", "tao"), ("黎", "li"), ("贺", "he"),
    ("顾", "gu"), ("毛", "mao"), ("郝", "hao"), ("龚", "gong"), ("邵", "shao"),
    ("万", "wan"), ("钱", "qian"), ("欧阳", "ouyang"), ("上官", "shangguan"),
)  # fmt: skip

MALE_NAMES: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
    ("勇", "yong"), ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"),
    ("浩然", "haoran"), ("子轩", "zixuan"), ("宇航", "yuhang"), ("俊杰", "junjie"),
    ("建国", "jianguo"), ("志强", "zhiqiang"), ("文博", "wenbo"), ("海峰", "haifeng"),
    ("鹏", "peng"), ("斌", "bin"), ("刚", "gang"), ("辉", "hui"), ("建华", "jianhua"),
    ("国栋", "guodong"), ("天宇", "tianyu"), ("一鸣", "yiming"), ("思远", "siyuan"),
    ("嘉豪", "jiahao"), ("振华", "zhenhua"), ("宏伟", "hongwei"), ("立新", "lixin"),
    ("博文", "bowen"), ("明轩", "mingxuan"), ("凯", "kai"), ("晨", "chen"),
    ("亮", "liang"), ("新宇", "xinyu"), ("家乐", "jiale"), ("永康", "yongkang"),
    ("德华", "dehua"), ("泽宇", "zeyu"), ("昊", "hao"), ("睿", "rui"), ("俊熙", "junxi"),
)  # fmt: skip

FEMALE_NAMES: tuple[tuple[str, str], ...] = (
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("艳", "yan"), ("娟", "juan"), ("霞", "xia"), ("秀英", "xiuying"), ("桂英", "guiying"),
    ("婷", "ting"), ("雪", "xue"), ("慧", "hui"), ("欣怡", "xinyi"), ("梓涵", "zihan"),
    ("诗涵", "shihan"), ("雨欣", "yuxin"), ("晓燕", "xiaoyan"), ("丽娟", "lijuan"),
    ("佳琪", "jiaqi"), ("思雨", "siyu"), ("梦琪", "mengqi"), ("海燕", "haiyan"),
    ("玉兰", "yulan"), ("淑珍", "shuzhen"), ("美玲", "meiling"), ("颖", "ying"),
    ("倩", "qian"), ("琳", "lin"), ("洁", "jie"), ("晶晶", "jingjing"), ("萍", "ping"),
    ("红梅", "hongmei"), ("雅婷", "yating"), ("晓红", "xiaohong"), ("可馨", "kexin"),
    ("紫萱", "zixuan"), ("一诺", "yinuo"), ("春燕", "chunyan"), ("文静", "wenjing"),
    ("若曦", "ruoxi"), ("冰", "bing"), ("蕾", "lei"), ("悦", "yue"),
)  # fmt: skip

# Chinese mobile prefixes (China Mobile, Unicom, Telecom, virtual operators).
PHONE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "147", "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "166", "173", "175", "176", "177", "178", "180", "181", "182", "183",
    "184", "185", "186", "187", "188", "189", "191", "195", "198", "199",
)  # fmt: skip

# (domain, weight); qq.com addresses are mostly the QQ number.
EMAIL_DOMAINS: tuple[tuple[str, int], ...] = (
    ("qq.com", 30),
    ("163.com", 22),
    ("126.com", 10),
    ("foxmail.com", 6),
    ("sina.com", 6),
    ("outlook.com", 8),
    ("gmail.com", 5),
    ("139.com", 4),
    ("hotmail.com", 4),
    ("yeah.net", 3),
)

# (company, email domain): a few business customers buy for their office.
ORGANISATIONS: tuple[tuple[str, str], ...] = (
    ("杭州云栖网络科技有限公司", "yunqi-tech.cn"),
    ("上海明川贸易有限公司", "mingchuan-trade.cn"),
    ("深圳前海星辰电子有限公司", "xingchen-elec.cn"),
    ("北京博远教育咨询有限公司", "boyuan-edu.cn"),
    ("成都锦程餐饮管理有限公司", "jincheng-catering.cn"),
    ("广州华南医疗器械有限公司", "huanan-med.cn"),
    ("南京金陵物业服务有限公司", "jinling-wy.cn"),
    ("武汉长江智造科技有限公司", "changjiang-zz.cn"),
)

CUSTOMER_NOTES: tuple[str, ...] = (
    "偏好微信联系，工作日白天不方便接电话。",
    "曾多次反馈物流问题，沟通时注意安抚情绪。",
    "企业采购对接人，开票信息以公司抬头为准。",
    "老客户，对产品熟悉，沟通直接高效。",
    "对价格比较敏感，关注会员活动。",
    "上次投诉已闭环，回访满意。",
    "只接受晚上7点后回电。",
    "家中老人使用，讲解操作时需要耐心一些。",
)
